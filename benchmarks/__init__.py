"""Benchmarks of samflyt against baselines measured in the same run (``make bench``)."""
