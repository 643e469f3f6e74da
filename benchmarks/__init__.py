"""Benchmarks of django-letsads: ``python -m benchmarks --help``."""
