"""Benchmarks that print figures (never pass/fail on time). See bench/README.md."""
