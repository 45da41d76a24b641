"""Fixtures for the metrics tests live in tests/conftest.py (the toy-method test uses them too)."""
