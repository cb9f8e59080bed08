"""A repository holding an out-of-bounds symlink: every app of it shows Argo CD's clear
"out-of-bounds symlinks" ComparisonError (it used to get no status at all), nothing is
applied, and removing the link heals both apps."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from kapstan.localcluster.kubectl import Kubectl
from kapstan.testing import gitservers
from kapstan.testing.argo import ArgoNamespace, conditions

pytestmark = pytest.mark.cluster

APPS = Path(__file__).parents[2] / "unit" / "render" / "testdata" / "apps"


def test_out_of_bounds_symlinks_are_refused_on_every_app(
    argo: ArgoNamespace, kubectl: Kubectl, tmp_path: Path, namespace: str
) -> None:
    repo = gitservers.worktree_with(
        tmp_path / "apps", (APPS / "guestbook-dir", "one"), (APPS / "guestbook-dir", "two")
    )
    os.symlink("/etc/passwd", repo / "two" / "passwd.yaml")
    gitservers.commit_all(repo, "a link out of the repository")
    for name in ("one", "two"):
        source = {"repoURL": repo.as_uri(), "targetRevision": "main", "path": name}
        argo.create_app(name, source, namespace, syncPolicy={"automated": {}})

    def refused(status: dict[str, Any]) -> list[str]:
        return [m for m in conditions(status, "ComparisonError") if "out-of-bounds" in m]

    for name in ("one", "two"):
        (message,) = argo.wait(f"{name} to refuse the repository", name, refused)
        assert message.endswith("repository contains out-of-bounds symlinks. file: two/passwd.yaml")
        assert argo.status(name)["sync"]["status"] == "Unknown"
    assert kubectl.get_json("deployments", "-n", namespace)["items"] == []

    (repo / "two" / "passwd.yaml").unlink()
    gitservers.commit_all(repo, "drop the link")
    for name in ("one", "two"):
        status = argo.refreshed(name)
        assert not conditions(status, "ComparisonError"), status.get("conditions")
