"""Server-side diff through ``kapstan controller``: the Application annotation
``argocd.argoproj.io/compare-options: ServerSideDiff=true|false`` and the controller-wide
``controller.diff.server.side`` (argocd-cmd-params-cm) decide how predicted live states are
computed; a StatefulSet whose volume claim templates the API server completes is OutOfSync in a
three-way diff and Synced with server-side diff; a failing dry run is a condition, not a crash.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kapstan.testing import gitservers
from kapstan.testing.argo import ArgoNamespace, conditions, resource

pytestmark = pytest.mark.cluster

TESTDATA = Path(__file__).parent / "testdata"
COMPARE_OPTIONS = "argocd.argoproj.io/compare-options"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return gitservers.worktree_with(tmp_path / "apps", (TESTDATA / "ssd", "ssd"))


def _statefulset(status: dict[str, Any]) -> str:
    entry = resource(status, "StatefulSet", "db") or {}
    return str(entry.get("status"))


def _annotate(argo: ArgoNamespace, app: str, value: str | None) -> None:
    argo.patch_app(app, {"metadata": {"annotations": {COMPARE_OPTIONS: value}}})


def test_server_side_diff_per_app_and_controller_wide(
    argo: ArgoNamespace, repo: Path, namespace: str
) -> None:
    app = "ssd"
    source = {"repoURL": repo.as_uri(), "targetRevision": "main", "path": "ssd"}
    argo.create_app(app, source, namespace)
    assert argo.synced(app)["phase"] == "Succeeded"

    # Three-way (the default): the completed volume claim templates look like drift.
    assert _statefulset(argo.refreshed(app)) == "OutOfSync"

    # The app asks for server-side diff: the dry run predicts exactly what live holds.
    _annotate(argo, app, "ServerSideDiff=true")
    status = argo.refreshed(app)
    assert _statefulset(status) == "Synced"
    assert status["sync"]["status"] == "Synced"

    # Controller-wide, as argocd-cmd-params-cm sets it (watched: no restart); an app can
    # still opt out with ServerSideDiff=false.
    argo.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-cmd-params-cm"},
            "data": {"controller.diff.server.side": "true"},
        }
    )
    _annotate(argo, app, None)
    argo.wait("the controller-wide setting", app, lambda s: _statefulset(s) == "Synced")
    assert _statefulset(argo.refreshed(app)) == "Synced"
    _annotate(argo, app, "ServerSideDiff=false")
    assert _statefulset(argo.refreshed(app)) == "OutOfSync"
    _annotate(argo, app, "ServerSideDiff=true")

    # A change git cannot apply (an immutable ConfigMap): the dry run fails; the app says so
    # in a ComparisonError naming the resource, and the controller goes on comparing the rest.
    frozen = repo / "ssd" / "frozen.yaml"
    frozen.write_text(frozen.read_text().replace('value: "1"', 'value: "2"'))
    gitservers.commit_all(repo, "change an immutable value")
    argo.refreshed(app)  # (no Git polling in this test: ask for the new commit)

    def dry_run_failed(s: dict[str, Any]) -> list[str]:
        return [m for m in conditions(s, "ComparisonError") if "frozen" in m]

    (message,) = argo.wait("the dry-run failure to show", app, dry_run_failed)
    assert "server-side diff dry run" in message
    assert "immutable" in message.lower()
    status = argo.status(app)
    assert _statefulset(status) == "Synced"
    frozen_entry = resource(status, "ConfigMap", "frozen")
    assert frozen_entry is not None
    assert frozen_entry["status"] == "OutOfSync"
    argo.alive()
