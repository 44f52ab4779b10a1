"""Tests of the benchmark, generator and attack scripts (the `scripts` package)."""
