"""``spec.ignoreDifferences`` end to end, through ``kapstan controller`` as a process: JSON
pointers, jq path expressions and field managers hide live edits from the comparison, self-heal
leaves them alone, and ``RespectIgnoreDifferences=true`` keeps them through a sync.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kapstan.localcluster.kubectl import Kubectl
from kapstan.testing import gitservers
from kapstan.testing.argo import ArgoNamespace, resource, synced_healthy

pytestmark = pytest.mark.cluster

TESTDATA = Path(__file__).parent / "testdata"
RULES = [
    {"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]},
    {"kind": "ConfigMap", "name": "settings", "jqPathExpressions": [".data.mode"]},
    {"kind": "ConfigMap", "name": "owned", "managedFieldsManagers": ["platform-bot"]},
]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return gitservers.worktree_with(tmp_path / "apps", (TESTDATA / "ignore", "ignore"))


class Live:
    """The app's objects in the destination namespace, read and edited like a user would."""

    def __init__(self, kubectl: Kubectl, namespace: str) -> None:
        self.kubectl = kubectl
        self.ns = namespace

    def get(self, kind: str, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self.kubectl.get_json(kind, name, "-n", self.ns)
        return found

    def replicas(self) -> int:
        return int(self.get("deployment", "web")["spec"]["replicas"])

    def patch(self, kind: str, name: str, patch: dict[str, Any], manager: str = "kubectl") -> None:
        self.kubectl(
            "patch", kind, name, "-n", self.ns, "--type=merge", f"--field-manager={manager}",
            "-p", json.dumps(patch),
        )  # fmt: skip


def test_ignored_fields_stay_synced_and_are_kept_by_syncs(
    argo: ArgoNamespace, kubectl: Kubectl, repo: Path, namespace: str
) -> None:
    source = {"repoURL": repo.as_uri(), "targetRevision": "main", "path": "ignore"}
    argo.create_app(
        "ignore",
        source,
        namespace,
        ignoreDifferences=RULES,
        syncPolicy={"automated": {"selfHeal": True}},
    )
    argo.wait("the app to be Synced and Healthy", "ignore", synced_healthy, 120)
    live = Live(kubectl, namespace)

    # Live edits of ignored fields: kubectl scale (JSON pointer), a value (jq), a field another
    # manager owns (managedFieldsManagers) — the app stays Synced after a refresh.
    kubectl("scale", "deployment", "web", "-n", namespace, "--replicas=3")
    live.patch("configmap", "settings", {"data": {"mode": "b"}})
    live.patch("configmap", "owned", {"data": {"level": "9"}}, manager="platform-bot")
    status = argo.refreshed("ignore")
    assert status["sync"]["status"] == "Synced", status.get("resources")
    assert {r["status"] for r in status["resources"]} == {"Synced"}
    assert status["sync"]["comparedTo"]["ignoreDifferences"] == RULES

    # A drift that is not ignored: self-heal syncs that resource only (Argo CD's selective
    # self-heal), so the scaled Deployment keeps its replicas; without
    # RespectIgnoreDifferences the healed ConfigMap takes git's value of its ignored field.
    live.patch("configmap", "settings", {"metadata": {"labels": {"tier": "changed"}}})
    argo.wait(
        "self-heal to restore the label",
        "ignore",
        lambda _s: live.get("configmap", "settings")["metadata"]["labels"]["tier"] == "frontend",
    )
    argo.wait("the app to be Synced again", "ignore", synced_healthy)
    assert live.replicas() == 3
    assert live.get("configmap", "settings")["data"]["mode"] == "a"
    assert live.get("configmap", "owned")["data"]["level"] == "9"

    # RespectIgnoreDifferences=true: even a full sync keeps every ignored live value.
    argo.patch_app(
        "ignore",
        {
            "spec": {
                "syncPolicy": {"automated": None, "syncOptions": ["RespectIgnoreDifferences=true"]}
            }
        },
    )
    live.patch("configmap", "settings", {"data": {"mode": "c"}})
    argo.refreshed("ignore")
    assert argo.synced("ignore")["phase"] == "Succeeded"
    assert live.replicas() == 3
    assert live.get("configmap", "settings")["data"]["mode"] == "c"
    assert live.get("configmap", "owned")["data"]["level"] == "9"

    # Without the option a full sync takes git's values back.
    argo.patch_app("ignore", {"spec": {"syncPolicy": {"syncOptions": None}}})
    argo.refreshed("ignore")
    assert argo.synced("ignore")["phase"] == "Succeeded"
    assert live.replicas() == 1
    assert live.get("configmap", "settings")["data"]["mode"] == "a"
    entry = resource(argo.status("ignore"), "Deployment", "web")
    assert entry is not None
    assert entry["status"] == "Synced"
