"""Benchmarks for sopkinerja (``make bench``); never run by the test suite."""
