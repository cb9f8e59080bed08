"""Fixtures for the unit render tests: the fixture repository. Tests that run the real helm or
kustomize live in tests/integration/render (they need `make toolchain`)."""

from __future__ import annotations

from pathlib import Path

APPS = Path(__file__).parent / "testdata" / "apps"
