"""Benchmarks: esorm beside the raw client, ESORM (pyesorm) and elasticsearch.dsl; `make bench`."""
