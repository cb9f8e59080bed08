"""The reconciler against the real cluster: an automated guestbook Application from a real git
repository (file://) is synced to Synced/Healthy, a live edit is self-healed, and a new commit
(replicas changed, a ConfigMap added, the Service removed) is synced with pruning, growing the
history. The reconciler runs in a background thread and is stopped cleanly.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kapstan.localcluster.kubectl import Kubectl
from kapstan.testing import gitservers
from kapstan.testing.controllers import ControllerThread
from kapstan.testing.waiting import wait_for

pytestmark = pytest.mark.cluster

GUESTBOOK = Path(__file__).parents[2] / "unit" / "render" / "testdata" / "apps" / "guestbook-dir"
APP = "rec-guestbook"  # unique: other tests track objects for "guestbook"
ARGOCD = "argocd"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    work = gitservers.init_worktree(tmp_path / "apps")
    shutil.copytree(GUESTBOOK, work / "guestbook")
    gitservers.commit_all(work, "guestbook")
    return work


@pytest.fixture
def reconciler(tmp_path: Path, kubeconfig: Path, argocd: str) -> Iterator[ControllerThread]:
    bg = ControllerThread(kubeconfig, tmp_path / "cache", ARGOCD, resync=0.5)
    yield bg
    bg.close()


def _wait(
    what: str,
    check: Callable[[], Any],
    bg: ControllerThread,
    kubectl: Kubectl | None = None,
    timeout: float = 90.0,
) -> Any:
    def detail() -> str:  # the app's status says why (sync result messages)
        if kubectl is None:
            return ""
        status = _app(kubectl).get("status") or {}
        return json.dumps({k: status.get(k) for k in ("sync", "operationState")})[:3000]

    return wait_for(what, check, timeout, alive=bg.check, detail=detail, interval=0.5)


def test_automated_sync_self_heal_and_new_commit(
    repo: Path, kubectl: Kubectl, namespace: str, reconciler: ControllerThread
) -> None:
    reconciler.start()
    # The CRDs come from the reconciler itself.
    _wait("the Application CRD", lambda: "applications" in kubectl("api-resources"), reconciler)
    app = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": APP, "namespace": ARGOCD},
        "spec": {
            "project": "default",
            "source": {"repoURL": repo.as_uri(), "targetRevision": "main", "path": "guestbook"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
            "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
        },
    }
    first = gitservers.commit_all(repo, "noop")  # HEAD of main before the app exists
    kubectl("apply", "-f", "-", stdin=json.dumps(app))
    try:
        _run_scenario(repo, kubectl, namespace, reconciler, first)
    finally:
        kubectl("delete", "application", APP, "-n", ARGOCD, "--ignore-not-found", "--wait=false")


def _app(kubectl: Kubectl) -> dict[str, Any]:
    found: dict[str, Any] = kubectl.get_json("application", APP, "-n", ARGOCD)
    return found


def _synced_healthy(kubectl: Kubectl, revision: str) -> dict[str, Any] | None:
    app = _app(kubectl)
    status = app.get("status") or {}
    ok = (
        (status.get("sync") or {}).get("status") == "Synced"
        and (status.get("sync") or {}).get("revision") == revision
        and (status.get("health") or {}).get("status") == "Healthy"
        and not app.get("operation")
        and (status.get("operationState") or {}).get("phase") == "Succeeded"
    )
    return app if ok else None


def _replicas(kubectl: Kubectl, namespace: str) -> int:
    dep = kubectl.get_json("deployment", "guestbook-ui", "-n", namespace)
    return int(dep["spec"]["replicas"])


def _run_scenario(
    repo: Path, kubectl: Kubectl, namespace: str, bg: ControllerThread, first: str
) -> None:
    # 1. Automated sync: Synced + Healthy, the Deployment exists and is tracked.
    app = _wait("Synced/Healthy", lambda: _synced_healthy(kubectl, first), bg, kubectl)
    dep = kubectl.get_json("deployment", "guestbook-ui", "-n", namespace)
    assert dep["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"] == (
        f"{APP}:apps/Deployment:{namespace}/guestbook-ui"
    )
    op_state = app["status"]["operationState"]
    assert op_state["operation"]["initiatedBy"] == {"automated": True}
    assert op_state["operation"]["sync"]["prune"] is True
    assert op_state["syncResult"]["revision"] == first
    assert op_state["startedAt"] <= op_state["finishedAt"]
    assert {r["kind"] for r in op_state["syncResult"]["resources"]} == {"Deployment", "Service"}
    history = app["status"]["history"]
    assert len(history) == 1
    assert history[0]["revision"] == first
    assert history[0]["source"] == app["spec"]["source"]
    assert app["status"]["sourceType"] == "Directory"

    # 2. Self-heal: a live edit of a managed field is reverted.
    kubectl(
        "patch",
        "deployment",
        "guestbook-ui",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        json.dumps({"spec": {"replicas": 3}}),
    )
    _wait("self-heal", lambda: _replicas(kubectl, namespace) == 1, bg, kubectl)
    app = _wait("Synced after self-heal", lambda: _synced_healthy(kubectl, first), bg, kubectl)
    # Argo CD's self-heal is a selective sync of the drifted resources: not recorded in history.
    healed = app["status"]["operationState"]["operation"]["sync"]
    assert [r["kind"] for r in healed["resources"]] == ["Deployment"]
    assert len(app["status"]["history"]) == 1

    # 3. A new commit: replicas 2, a ConfigMap added, the Service removed (pruned).
    deployment = repo / "guestbook" / "deployment.yaml"
    deployment.write_text(deployment.read_text().replace("replicas: 1", "replicas: 2"))
    (repo / "guestbook" / "config.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: guestbook-config}\ndata: {k: v2}\n"
    )
    (repo / "guestbook" / "service.yml").unlink()
    before = len(app["status"]["history"])
    second = gitservers.commit_all(repo, "scale, add config, drop service")
    app = _wait("the new commit synced", lambda: _synced_healthy(kubectl, second), bg, kubectl)
    assert _replicas(kubectl, namespace) == 2
    cm = kubectl.get_json("configmap", "guestbook-config", "-n", namespace)
    assert cm["data"] == {"k": "v2"}
    services = kubectl.get_json("services", "-n", namespace)["items"]
    assert [s["metadata"]["name"] for s in services] == []
    history = app["status"]["history"]
    assert len(history) == before + 1
    assert history[-1]["revision"] == second
    assert [h["id"] for h in history] == list(range(len(history)))
    assert {r["kind"] for r in app["status"]["resources"]} == {"Deployment", "ConfigMap"}

    # 4. A clean stop.
    bg.close()
    assert not bg.thread.is_alive()
    assert bg.error is None
