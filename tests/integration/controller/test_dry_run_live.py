"""How ``kapstan controller`` checks a sync's objects before writing any, as the user sets it
in argocd-cmd-params-cm: by default locally (as Argo CD's client-side dry run), so an object
the API server rejects fails when it is applied, after the waves before it; with
``controller.sync.server.side.dry.run: "true"`` every object first goes through a server-side
dry run, and the same sync fails with nothing written.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kapstan.localcluster.kubectl import Kubectl
from kapstan.testing import gitservers
from kapstan.testing.argo import ArgoNamespace

pytestmark = pytest.mark.cluster

TESTDATA = Path(__file__).parent / "testdata"


def _configmap_data(kubectl: Kubectl, namespace: str) -> object:
    found = kubectl("get", "configmap", "first", "-n", namespace, "--ignore-not-found", "-o",
                    "jsonpath={.data.a}")  # fmt: skip
    return found or None


def _broken(state: dict[str, object]) -> dict[str, object]:
    result = state.get("syncResult") or {}
    assert isinstance(result, dict)
    return next(r for r in result.get("resources") or [] if r.get("name") == "broken")


def test_server_side_dry_run_setting(
    argo: ArgoNamespace, kubectl: Kubectl, tmp_path: Path, namespace: str
) -> None:
    repo = gitservers.worktree_with(tmp_path / "apps", (TESTDATA / "dryrun", "dryrun"))
    source = {"repoURL": repo.as_uri(), "targetRevision": "main", "path": "dryrun"}
    argo.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-cmd-params-cm"},
            "data": {"controller.sync.server.side.dry.run": "true"},
        }
    )
    argo.create_app("dryrun", source, namespace)

    # Server-side dry run: the invalid Deployment of wave 5 stops the sync before wave 0.
    state = argo.synced("dryrun")
    assert state["phase"] == "Failed"
    assert "dry run" in str(state["message"])
    assert "notAField" in str(_broken(state)["message"])
    assert _configmap_data(kubectl, namespace) is None

    # The default (the key removed): checked locally, wave 0 is applied, the Deployment
    # is refused by the API server when its wave comes.
    argo.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-cmd-params-cm"},
            "data": {},
        }
    )
    for _ in range(3):  # the controller sees the ConfigMap change through its watch
        state = argo.synced("dryrun")
        if _configmap_data(kubectl, namespace) == "2":
            break
    assert _configmap_data(kubectl, namespace) == "2"
    assert state["phase"] == "Failed"
    assert "dry run" not in str(state["message"])
    assert "notAField" in str(_broken(state)["message"])
