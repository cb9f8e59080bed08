"""The demo repository, its Applications and the status rows are right. (That each sample app
renders to the expected objects, with the real helm and kustomize, is tested in
tests/integration/demo/test_demo_render.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kapstan.demo import status
from kapstan.demo.repo import APPS, applications, create_repo, git


def _by_name() -> dict[str, dict[str, Any]]:
    return {a["metadata"]["name"]: a for a in applications("file:///demo/repo")}


def test_applications_shape() -> None:
    for name, app in _by_name().items():
        assert app["apiVersion"] == "argoproj.io/v1alpha1"
        assert app["kind"] == "Application"
        assert app["metadata"] == {"name": name, "namespace": "argocd"}
        spec = app["spec"]
        assert spec["project"] == "default"
        assert spec["source"]["repoURL"] == "file:///demo/repo"
        assert spec["source"]["targetRevision"] == "main"
        assert spec["destination"] == {
            "server": "https://kubernetes.default.svc",
            "namespace": f"demo-{name}",
        }
        assert spec["syncPolicy"] == {
            "automated": {"prune": True, "selfHeal": True},
            "syncOptions": ["CreateNamespace=true"],
        }
    assert _by_name()["kustomize-guestbook"]["spec"]["source"]["path"].endswith("overlays/demo")
    assert {a["metadata"]["namespace"] for a in applications("x", namespace="cd")} == {"cd"}


def test_create_repo_commits_every_app_on_main(tmp_path: Path) -> None:
    repo = create_repo(tmp_path / "repo")
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert git(repo, "status", "--porcelain") == ""
    tracked = git(repo, "ls-files").splitlines()
    for name in APPS:
        assert any(f.startswith(f"{name}/") for f in tracked), name
    assert "helm-guestbook/templates/deployment.yaml" in tracked
    # The repository has its own author identity: a user's commit works without git config.
    (repo / "guestbook" / "deployment.yaml").write_text("# changed\n")
    git(repo, "commit", "-qam", "change")
    assert git(repo, "rev-list", "--count", "main") == "2"
    with pytest.raises(FileExistsError):
        create_repo(repo)


def _app(name: str, **status_fields: Any) -> dict[str, Any]:
    return {"metadata": {"name": name}, "status": status_fields}


def test_status_rows_and_readiness() -> None:
    ready = _app(
        "a",
        sync={"status": "Synced", "revision": "0123456789abcdef"},
        health={"status": "Healthy"},
        operationState={"phase": "Succeeded", "message": "successfully synced"},
    )
    running = _app(
        "b",
        sync={"status": "OutOfSync"},
        health={"status": "Progressing"},
        operationState={"phase": "Running", "message": "waiting for wave 1"},
    )
    rows = status.app_rows([running, ready, _app("extra")], ["a", "b", "c"])
    assert [r.name for r in rows] == ["a", "b", "c", "extra"]
    a, b, c, extra = rows
    assert (a.sync, a.health, a.revision, a.ready) == ("Synced", "Healthy", "0123456", True)
    assert a.message == "successfully synced"
    assert not b.ready
    assert b.message == "sync Running: waiting for wave 1"
    assert (c.message, c.ready) == ("not created yet", False)
    assert (extra.sync, extra.health, extra.revision) == ("-", "-", "-")
    assert status.all_ready([a])
    assert not status.all_ready(rows)
    assert not status.all_ready([])
    pending = {**ready, "operation": {"sync": {}}}
    assert not status.app_row(pending).ready
    table = status.status_table(rows, "3s")
    assert [col.header for col in table.columns] == ["APP", "SYNC", "HEALTH", "REVISION", "MESSAGE"]
    assert table.row_count == 4
