"""Shared fixture of the controller's live tests: ``argo``, an Argo CD namespace with
``kapstan controller`` started as a process (the way a user starts it), named after the test
module (``test_dry_run_live.py`` → ``dry-run-<hex>``) so a leftover namespace says whose it is.
A module that needs other settings before the start defines its own ``argo``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kapstan.localcluster.kubectl import Kubectl
from kapstan.testing.argo import ArgoNamespace


@pytest.fixture
def argo(
    request: pytest.FixtureRequest, kubectl: Kubectl, kubeconfig: Path, tmp_path: Path
) -> Iterator[ArgoNamespace]:
    module = request.module.__name__.rsplit(".", 1)[-1]
    prefix = module.removeprefix("test_").removesuffix("_live").replace("_", "-")
    ns = ArgoNamespace(kubectl, kubeconfig, tmp_path, prefix=prefix)
    ns.start(process=True)
    yield ns
    ns.close()
