"""Benchmarks: each script prints and writes a Markdown table to bench/results/."""
