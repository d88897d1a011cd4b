"""Benchmarks, run by hand (`make bench`); each prints its figures and stops by itself."""
