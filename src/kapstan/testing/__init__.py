"""Fakes and builders for unit tests."""

from kapstan.testing.fakekube import FakeKube, fake_client

__all__ = ["FakeKube", "fake_client"]
