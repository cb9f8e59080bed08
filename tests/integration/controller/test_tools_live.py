"""``kapstan controller`` started as a user starts it finds helm and kustomize by itself (the
other end-to-end tests run it with a PATH that holds neither); when a tool is nowhere, it says
so once at start and each app needing it gets a ComparisonError saying what to do; a wrong
``--helm-path`` stops the start."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from kapstan.demo.children import controller_argv
from kapstan.localcluster.kubectl import Kubectl
from kapstan.localcluster.process import CommandError, capture
from kapstan.testing import gitservers
from kapstan.testing.argo import ArgoNamespace, conditions

pytestmark = pytest.mark.cluster

APPS = Path(__file__).parents[2] / "unit" / "render" / "testdata" / "apps"


def _bare_env(tmp_path: Path) -> dict[str, str]:
    """No helm or kustomize anywhere: a PATH without them and an empty toolchain cache."""
    env = {k: v for k, v in os.environ.items() if k not in ("PATH", "KAPSTAN_CACHE")}
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("git", "ssh"):
        found = shutil.which(tool)
        assert found is not None
        (bin_dir / tool).symlink_to(found)
    env["PATH"] = str(bin_dir)
    env["KAPSTAN_CACHE"] = str(tmp_path / "empty-cache")
    return env


def test_a_missing_tool_is_reported_at_start_and_on_the_app(
    kubectl: Kubectl, kubeconfig: Path, tmp_path: Path, namespace: str
) -> None:
    work = gitservers.worktree_with(tmp_path / "apps", (APPS / "guestbook-helm", "chart"))
    argo = ArgoNamespace(kubectl, kubeconfig, tmp_path, prefix="tools")
    try:
        argo.start(process=True, env=_bare_env(tmp_path))
        source = {"repoURL": work.as_uri(), "targetRevision": "main", "path": "chart"}
        argo.create_app("chart", source, namespace)

        def not_installed(status: dict[str, Any]) -> list[str]:
            found = conditions(status, "ComparisonError")
            return [m for m in found if "helm is not installed" in m]

        (message,) = argo.wait("the missing helm to show", "chart", not_installed)
        assert "--helm-path" in message
        assert "make toolchain" in message
        log = argo.logs()
        assert log.count("helm not found") == 1
        assert log.count("kustomize not found") == 1
    finally:
        argo.close()


def test_a_wrong_helm_path_stops_the_start(kubeconfig: Path, tmp_path: Path) -> None:
    argv = [
        *controller_argv(kubeconfig, "argocd", tmp_path / "cache", 0),
        "--helm-path",
        str(tmp_path / "nope"),
    ]
    with pytest.raises(CommandError) as err:
        capture(argv, timeout=60)
    assert "--helm-path" in err.value.output
    assert "not an executable file" in err.value.output
