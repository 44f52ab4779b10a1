"""Benchmarks, data generators and attack scripts; run as ``python -m scripts.NAME``."""
