"""The controller deploying to a second real cluster registered by an Argo CD cluster secret.

The controller runs against the main cluster (Applications, AppProjects and the cluster
secret live there) with Git polling off (``resync=0``), so every refresh after the first one
comes from an event: the second cluster's live cache, app changes or finished operations.
Two Applications name the second cluster, one by ``destination.server`` and one by
``destination.name``; both sync there (and only there) and a live edit in the second cluster
is self-healed. An Application naming an unknown server gets an ``InvalidSpecError``.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kapstan.localcluster import LocalCluster, Toolchain
from kapstan.localcluster.kubectl import Kubectl
from kapstan.testing import gitservers
from kapstan.testing.builders import cluster_secret
from kapstan.testing.controllers import ControllerThread
from kapstan.testing.waiting import wait_for

pytestmark = pytest.mark.cluster

TESTDATA = Path(__file__).parent / "testdata"
ARGOCD = "argocd"
SECRET = "mc-second"  # the secret's name and its ``name`` field (the cluster's name)
BY_SERVER = "mc-by-server"
BY_NAME = "mc-by-name"
UNKNOWN = "mc-unknown"
UNKNOWN_SERVER = "https://127.0.0.1:1"
DEPLOYMENT = "mc-web"


@pytest.fixture
def second(tmp_path: Path, toolchain: Toolchain) -> Iterator[LocalCluster]:
    c = LocalCluster(tmp_path / "mc-second", name="mc-second", nodes=1, toolchain=toolchain)
    c.start()
    try:
        yield c
    finally:
        c.destroy()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    work = gitservers.init_worktree(tmp_path / "mc-apps")
    shutil.copytree(TESTDATA / "mc-web", work / "web")
    gitservers.commit_all(work, "web")
    return work


@pytest.fixture
def bg(tmp_path: Path, kubeconfig: Path, argocd: str) -> Iterator[ControllerThread]:
    thread = ControllerThread(kubeconfig, tmp_path / "mc-cache", ARGOCD, resync=0)
    yield thread
    thread.close()


def _wait(
    what: str,
    check: Callable[[], Any],
    bg: ControllerThread,
    detail: Callable[[], str] = lambda: "",
    timeout: float = 40.0,
) -> Any:
    return wait_for(what, check, timeout, alive=bg.check, detail=detail)


def _application(name: str, repo: Path, destination: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": ARGOCD},
        "spec": {
            "project": "default",
            "source": {"repoURL": repo.as_uri(), "targetRevision": "main", "path": "web"},
            "destination": destination,
            "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
        },
    }


def _get_app(kubectl: Kubectl, name: str) -> dict[str, Any]:
    found: dict[str, Any] = kubectl.get_json("application", name, "-n", ARGOCD)
    return found


def _status(kubectl: Kubectl, name: str) -> str:
    status = _get_app(kubectl, name).get("status") or {}
    keep = ("sync", "health", "conditions", "operationState")
    return json.dumps({k: status.get(k) for k in keep})[:3000]


def _synced_healthy(kubectl: Kubectl, name: str) -> dict[str, Any] | None:
    app = _get_app(kubectl, name)
    status = app.get("status") or {}
    ok = (
        (status.get("sync") or {}).get("status") == "Synced"
        and (status.get("health") or {}).get("status") == "Healthy"
        and not app.get("operation")
        and (status.get("operationState") or {}).get("phase") == "Succeeded"
    )
    return app if ok else None


def _wait_synced(kubectl: Kubectl, bg: ControllerThread, name: str, what: str) -> Any:
    return _wait(what, lambda: _synced_healthy(kubectl, name), bg, lambda: _status(kubectl, name))


def _deployments_named(kubectl: Kubectl, name: str) -> list[str]:
    found = kubectl.get_json("deployments", "-A", f"--field-selector=metadata.name={name}")
    return sorted(str(d["metadata"]["namespace"]) for d in found["items"])


def test_apps_deploy_to_a_cluster_from_a_secret(
    second: LocalCluster,
    repo: Path,
    kubectl: Kubectl,
    toolchain: Toolchain,
    namespace: str,
    bg: ControllerThread,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="kapstan")
    kubectl2 = Kubectl(second.kubeconfig, toolchain)
    ns_server, ns_name = f"{namespace}-s", f"{namespace}-n"
    for ns in (ns_server, ns_name):
        kubectl2("create", "namespace", ns)
    secret = cluster_secret(SECRET, ARGOCD, second.kubeconfig)
    kubectl("apply", "-f", "-", stdin=json.dumps(secret))
    apps = (BY_SERVER, BY_NAME, UNKNOWN)
    try:
        bg.start()

        def second_cached() -> bool:
            controller = bg.controller
            cache = controller.clusters.manager.cache(second.server) if controller else None
            return cache is not None and cache.synced

        _wait("the second cluster's cache", second_cached, bg, timeout=30)
        _wait("the Application CRD", lambda: "applications" in kubectl("api-resources"), bg)
        destinations = {
            BY_SERVER: {"server": second.server, "namespace": ns_server},
            BY_NAME: {"name": SECRET, "namespace": ns_name},
            UNKNOWN: {"server": UNKNOWN_SERVER, "namespace": namespace},
        }
        for name in apps:
            app = _application(name, repo, destinations[name])
            kubectl("apply", "-f", "-", stdin=json.dumps(app))
        _run_scenario(kubectl, kubectl2, bg, ns_server, ns_name, namespace)

        # 4. The cluster Secret removed: its apps no longer have a destination.
        kubectl("delete", "secret", SECRET, "-n", ARGOCD)

        def gone() -> list[str]:
            found = _get_app(kubectl, BY_NAME).get("status", {}).get("conditions") or []
            return [c["message"] for c in found if c.get("type") == "InvalidSpecError"]

        (message,) = _wait(
            "the removed cluster to show", gone, bg, lambda: _status(kubectl, BY_NAME)
        )
        assert message == f"there are no clusters with this name: {SECRET}"
    finally:
        for name in apps:
            kubectl("delete", "application", name, "-n", ARGOCD, "--ignore-not-found")
        kubectl("delete", "secret", SECRET, "-n", ARGOCD, "--ignore-not-found")


def _run_scenario(
    kubectl: Kubectl,
    kubectl2: Kubectl,
    bg: ControllerThread,
    ns_server: str,
    ns_name: str,
    namespace: str,
) -> None:
    # 1. Both apps sync to the second cluster, by server URL and by cluster name.
    for name in (BY_SERVER, BY_NAME):
        app = _wait_synced(kubectl, bg, name, f"{name} Synced/Healthy")
        assert not [c for c in app["status"].get("conditions") or [] if "Error" in c["type"]]
    assert _deployments_named(kubectl2, DEPLOYMENT) == sorted([ns_server, ns_name])
    assert _deployments_named(kubectl, DEPLOYMENT) == []  # nothing in the main cluster
    dep = kubectl2.get_json("deployment", DEPLOYMENT, "-n", ns_server)
    assert dep["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"] == (
        f"{BY_SERVER}:apps/Deployment:{ns_server}/{DEPLOYMENT}"
    )

    # 2. A live edit in the second cluster is seen by its cache and healed (no Git polling).
    kubectl2(
        "patch",
        "deployment",
        DEPLOYMENT,
        "-n",
        ns_server,
        "--type=merge",
        "-p",
        json.dumps({"spec": {"replicas": 3}}),
    )

    def replicas() -> int:
        found = kubectl2.get_json("deployment", DEPLOYMENT, "-n", ns_server)
        return int(found["spec"]["replicas"])

    _wait("self-heal", lambda: replicas() == 1, bg, lambda: _status(kubectl, BY_SERVER))
    _wait_synced(kubectl, bg, BY_SERVER, "Synced after self-heal")
    healed = _get_app(kubectl, BY_SERVER)["status"]
    # Self-heal syncs only the drifted resource and, as a selective sync, is not history.
    assert healed["operationState"]["operation"]["sync"]["resources"] == [
        {"group": "apps", "kind": "Deployment", "namespace": ns_server, "name": DEPLOYMENT}
    ]
    assert len(healed["history"]) == 1

    # 3. An unknown server: InvalidSpecError naming it, nothing deployed.
    def invalid() -> list[dict[str, Any]]:
        conditions = _get_app(kubectl, UNKNOWN).get("status", {}).get("conditions") or []
        return [c for c in conditions if c.get("type") == "InvalidSpecError"]

    found = _wait("InvalidSpecError", invalid, bg, lambda: _status(kubectl, UNKNOWN))
    assert len(found) == 1
    assert UNKNOWN_SERVER in found[0]["message"]
    assert found[0]["message"] == (
        f"application destination server '{UNKNOWN_SERVER}' is invalid: "
        f"cluster '{UNKNOWN_SERVER}' has not been configured"
    )
    unknown = _get_app(kubectl, UNKNOWN)
    assert not unknown.get("operation")
    assert "operationState" not in unknown["status"]
    assert not unknown["status"].get("history")
    assert kubectl.get_json("deployments", "-n", namespace)["items"] == []
