"""Benchmarks, run on demand against the local sandboxes: `python -m bench` (see bench/README.md)."""
