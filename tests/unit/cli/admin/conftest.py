"""``kapstan admin`` tests: commands reach an in-memory cluster instead of a kubeconfig's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kapstan.cli.admin import kubeaccess
from kapstan.kube.client import KubeClient
from kapstan.testing.fakekube import FakeKube, fake_client
from kapstan.testing.fakes import install_into


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeKube]:
    """A FakeKube with Kapstan installed in ``argocd``; admin commands connect to it."""
    cluster = FakeKube()
    install_into(cluster, "argocd")

    def connect(_kubeconfig: Path | None) -> KubeClient:
        return fake_client(cluster)

    monkeypatch.setattr(kubeaccess, "connect", connect)
    return cluster
