"""Example applications built on esorm; run one with `python -m examples.<name>`."""
