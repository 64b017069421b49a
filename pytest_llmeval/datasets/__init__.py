"""Benchmarks as declarations: OpenCompass configs as data, their templates, subjects and groups."""
