"""Fakes and builders for unit tests."""
