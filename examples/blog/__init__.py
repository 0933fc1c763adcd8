"""A small blog in DDD style on esorm: users, posts routed by region, one scripted scenario.

Run it with `make demo` or `python -m examples.blog` (set `ESORM_URL` for a real cluster).
"""
