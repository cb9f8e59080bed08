"""Fixtures for render tests that run the real helm and kustomize binaries (built by
``make toolchain``, hence integration tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kapstan.localcluster import Toolchain
from kapstan.render import Tools

# The fixture apps stay with the unit render tests, which use them too (tool detection,
# fake-tool runs) and must not depend on anything under tests/integration.
APPS = Path(__file__).parents[2] / "unit" / "render" / "testdata" / "apps"


@pytest.fixture(scope="session")
def tools(toolchain: Toolchain) -> Tools:
    """The real helm and kustomize; fails (saying to run `make toolchain`) when not built."""
    return Tools(
        helm=str(toolchain.path("helm")),
        kustomize=str(toolchain.path("kustomize")),
        kube_version="v1.31.0",
        api_versions=("example.com/v1/Widget",),
    )
