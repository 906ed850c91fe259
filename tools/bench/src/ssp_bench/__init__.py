"""Benchmarks: each prints its figures and returns them for docs/benchmarks.md."""
