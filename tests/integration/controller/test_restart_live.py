"""A controller SIGKILLed in the middle of a sync: the next controller finishes the operation.

A manual-sync Application (no automation) from a real git repository (file://) has a PreSync
hook Job, three waves (a ConfigMap, a Deployment that takes ~15 s to become Available, another
ConfigMap) and a PostSync hook Job. The sync is started as a user would, by writing the
top-level ``operation`` with kubectl. While wave 1 waits for the Deployment the controller
process is SIGKILLed and a new one is started: the operation ends Succeeded, every resource
exists, each hook Job was created exactly once (same uid throughout), the Deployment was not
re-created, history has exactly one entry and the ``operation`` field is gone.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kapstan.localcluster.kubectl import Kubectl
from kapstan.testing import gitservers
from kapstan.testing.controllers import ControllerProcess
from kapstan.testing.waiting import wait_for

pytestmark = pytest.mark.cluster

TESTDATA = Path(__file__).parent / "testdata"
ARGOCD = "argocd"
HOOKS = ("pre", "post")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    work = gitservers.init_worktree(tmp_path / "apps")
    shutil.copytree(TESTDATA / "restart", work / "restart")
    gitservers.commit_all(work, "restart app")
    return work


@pytest.fixture
def controllers(argocd: str) -> Iterator[list[ControllerProcess]]:
    """Every controller process the test starts; all are stopped afterwards."""
    started: list[ControllerProcess] = []
    yield started
    for ctl in started:
        ctl.kill()


def _get(kubectl: Kubectl, *args: str) -> dict[str, Any] | None:
    out = kubectl("get", *args, "--ignore-not-found", "-o", "json")
    return json.loads(out) if out.strip() else None


def _logs(controllers: list[ControllerProcess]) -> str:
    parts = [f"--- controller {i}:\n{c.output()[-4000:]}" for i, c in enumerate(controllers)]
    return "\n".join(parts)


def _wait(
    what: str,
    check: Callable[[], Any],
    controllers: list[ControllerProcess],
    detail: Callable[[], Any] = lambda: "",
    timeout: float = 60.0,
    interval: float = 0.3,
) -> Any:
    return wait_for(
        what,
        check,
        timeout,
        detail=lambda: f"{json.dumps(detail())[:3000]}\n{_logs(controllers)}",
        interval=interval,
    )


def _state(app: dict[str, Any] | None) -> dict[str, Any]:
    return ((app or {}).get("status") or {}).get("operationState") or {}


def _synced_names(state: dict[str, Any]) -> set[str]:
    return {str(r["name"]) for r in (state.get("syncResult") or {}).get("resources") or []}


def test_sigkill_mid_sync_then_new_controller_finishes_the_operation(
    repo: Path,
    kubectl: Kubectl,
    kubeconfig: Path,
    namespace: str,
    tmp_path: Path,
    controllers: list[ControllerProcess],
) -> None:
    name = f"restart-{uuid.uuid4().hex[:6]}"

    def start(n: int) -> ControllerProcess:
        ctl = ControllerProcess(kubeconfig, tmp_path / "cache", tmp_path / f"controller-{n}.log")
        controllers.append(ctl)
        return ctl.start()

    first = start(1)
    _wait("the Application CRD", lambda: "applications" in kubectl("api-resources"), controllers)
    app = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": ARGOCD},
        "spec": {
            "project": "default",
            "source": {"repoURL": repo.as_uri(), "targetRevision": "main", "path": "restart"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
        },
    }
    head = gitservers.commit_all(repo, "noop")  # HEAD of main, the revision synced
    kubectl("apply", "-f", "-", stdin=json.dumps(app))
    try:
        _scenario(kubectl, namespace, name, head, first, start, controllers)
    finally:
        kubectl("delete", "application", name, "-n", ARGOCD, "--ignore-not-found", "--wait=false")


def _scenario(
    kubectl: Kubectl,
    namespace: str,
    name: str,
    head: str,
    first: ControllerProcess,
    start: Callable[[int], ControllerProcess],
    controllers: list[ControllerProcess],
) -> None:
    def app() -> dict[str, Any] | None:
        return _get(kubectl, "application", name, "-n", ARGOCD)

    def detail() -> Any:
        status = (app() or {}).get("status") or {}
        return {k: status.get(k) for k in ("sync", "operationState", "history")}

    hook_uids: dict[str, set[str]] = {h: set() for h in HOOKS}

    def see_hooks() -> None:
        for hook in HOOKS:
            job = _get(kubectl, "job", hook, "-n", namespace)
            if job is not None:
                hook_uids[hook].add(str(job["metadata"]["uid"]))

    # The app is seen (OutOfSync: nothing deployed yet) and no sync runs by itself.
    _wait(
        "the app compared",
        lambda: ((app() or {}).get("status") or {}).get("sync", {}).get("status") == "OutOfSync",
        controllers,
        detail,
    )
    assert not _state(app())
    assert ((app() or {}).get("status") or {})["sync"]["revision"] == head

    sync = {"revision": "main", "prune": True}
    op = {"operation": {"sync": sync, "initiatedBy": {"username": "e2e"}}}
    kubectl("patch", "application", name, "-n", ARGOCD, "--type", "merge", "-p", json.dumps(op))

    # Wave 1 in progress: the PreSync hook and wave 0 are done, the Deployment is applied and
    # not yet Available, wave 2 and the PostSync hook have not started.
    def in_wave_1() -> dict[str, Any] | None:
        state = _state(app())
        names = _synced_names(state)
        ok = state.get("phase") == "Running" and {"pre", "first", "slow"} <= names
        return state if ok else None

    mid = _wait("wave 1 in progress", in_wave_1, controllers, detail, interval=0.2)
    see_hooks()
    assert first.alive(), _logs(controllers)
    first.kill()
    killed_at = datetime.now(UTC).replace(microsecond=0)
    assert not first.alive()
    assert not _synced_names(mid) & {"last", "post"}, mid
    # The kill landed before wave 2: nothing of it exists, and the operation is still pending.
    assert _get(kubectl, "configmap", "last", "-n", namespace) is None
    assert _get(kubectl, "job", "post", "-n", namespace) is None
    dep = _get(kubectl, "deployment", "slow", "-n", namespace)
    assert dep is not None
    slow_uid = dep["metadata"]["uid"]
    left = app() or {}
    assert left.get("operation"), "the operation field must survive the kill"
    assert _state(left).get("phase") == "Running"
    pre_uid = hook_uids["pre"]
    assert len(pre_uid) == 1, hook_uids

    start(2)

    def finished() -> dict[str, Any] | None:
        see_hooks()
        found = app()
        done = _state(found).get("phase") in {"Succeeded", "Failed", "Error"}
        return found if done and not (found or {}).get("operation") else None

    final = _wait("the operation finished", finished, controllers, detail, timeout=90.0)
    state = _state(final)
    assert state["phase"] == "Succeeded", (state.get("message"), _logs(controllers))
    assert state["syncResult"]["revision"] == head
    assert state["operation"]["initiatedBy"] == {"username": "e2e"}
    assert "progress" not in state  # the resume point is dropped once finished
    results = {r["name"]: r for r in state["syncResult"]["resources"]}
    assert set(results) == {"pre", "first", "slow", "last", "post"}
    assert {r["status"] for r in results.values()} == {"Synced"}
    assert results["pre"]["hookPhase"] == "Succeeded"
    assert results["post"]["hookPhase"] == "Succeeded"

    # Every resource exists; the Deployment was not re-created and is Available.
    for kind, res in (("configmap", "first"), ("configmap", "last")):
        assert _get(kubectl, kind, res, "-n", namespace) is not None, res
    dep = _get(kubectl, "deployment", "slow", "-n", namespace)
    assert dep is not None
    assert dep["metadata"]["uid"] == slow_uid
    assert dep["status"].get("availableReplicas") == 1, dep["status"]

    # Each hook Job was created exactly once: one uid ever seen, the PreSync one from before the
    # kill, the PostSync one by the second controller.
    see_hooks()
    assert hook_uids["pre"] == pre_uid, hook_uids
    assert len(hook_uids["post"]) == 1, hook_uids
    for hook in HOOKS:
        job = _get(kubectl, "job", hook, "-n", namespace)
        assert job is not None, hook
        assert job["status"].get("succeeded") == 1, (hook, job["status"])
    post = _get(kubectl, "job", "post", "-n", namespace)
    assert post is not None
    created = datetime.fromisoformat(post["metadata"]["creationTimestamp"])
    assert created >= killed_at, (created, killed_at)

    # One sync, one history entry; the operation field is gone.
    status = (final or {})["status"]
    assert [h["revision"] for h in status["history"]] == [head]
    assert status["history"][0]["id"] == 0
    assert status["history"][0]["initiatedBy"] == {"username": "e2e"}
    assert "operation" not in (final or {})
    synced = _wait(
        "Synced",
        lambda: ((app() or {}).get("status") or {}).get("sync", {}).get("status") == "Synced",
        controllers,
        detail,
    )
    assert synced
    assert controllers[1].alive(), _logs(controllers)
