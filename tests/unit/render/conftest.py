"""Fixtures for render tests: the fixture repository and the real helm/kustomize binaries."""

from __future__ import annotations

from pathlib import Path

import pytest

from kapstan.render import Tools

APPS = Path(__file__).parent / "testdata" / "apps"


@pytest.fixture(scope="session")
def tools() -> Tools:
    from kapstan.localcluster import Toolchain

    tc = Toolchain()
    helm, kustomize = tc.path("helm"), tc.path("kustomize")
    if not (Path(helm).exists() and Path(kustomize).exists()):
        pytest.fail("helm/kustomize not built: run `make toolchain`")
    return Tools(
        helm=str(helm),
        kustomize=str(kustomize),
        kube_version="v1.31.0",
        api_versions=("example.com/v1/Widget",),
    )
