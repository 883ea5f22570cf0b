"""Benchmarks measured as ratios: each runs the platform and its physical limit in the same run.

Run ``python -m bench --size small|medium|full`` (``make bench SIZE=small``).
See docs/performance.md for what each benchmark compares and the latest figures.
"""
