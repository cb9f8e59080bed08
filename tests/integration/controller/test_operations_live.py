"""Operations and refresh triggers of the controller against the real cluster and real git
repositories (file://), driven the way a user drives Argo CD with kubectl:

- the ``argocd.argoproj.io/refresh`` annotation (``normal`` and ``hard``) makes a controller
  that does not poll (resync 0) pick up a new commit, and is removed once done;
- with polling on (resync 1 s) a new commit is picked up without any annotation;
- rollback: the ``operation`` built by :func:`rollback_operation` from a history entry brings
  the cluster back to that revision and adds a history entry; it is refused with auto-sync on;
- terminate: ``status.operationState.phase: Terminating`` stops a sync waiting on a hook that
  never completes; nothing after the hook is applied and the ``operation`` field is removed;
- ``spec.revisionHistoryLimit`` trims the history to the newest entries.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kapstan.engine.history import rollback_operation
from kapstan.localcluster.kubectl import Kubectl
from kapstan.testing import gitservers
from kapstan.testing.controllers import ControllerThread
from kapstan.testing.waiting import wait_for

pytestmark = pytest.mark.cluster

TESTDATA = Path(__file__).parent / "testdata"
ARGOCD = "argocd"
REFRESH = "argocd.argoproj.io/refresh"
SETTINGS = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: settings}}\ndata: {{version: '{}'}}\n"
)
EXTRA = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\ndata: {only: in-b}\n"


# -- fixtures and helpers -----------------------------------------------------------------------
@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A worktree with ``config/`` (ConfigMap ``settings``, version 1) and ``terminate/``."""
    work = gitservers.init_worktree(tmp_path / "apps")
    shutil.copytree(TESTDATA / "config", work / "config")
    shutil.copytree(TESTDATA / "terminate", work / "terminate")
    gitservers.commit_all(work, "version 1")
    return work


def _commit(repo: Path, version: int, *, extra: bool = False) -> str:
    """Commit ``settings`` at ``version`` (and the ConfigMap ``extra`` when asked)."""
    (repo / "config" / "settings.yaml").write_text(SETTINGS.format(version))
    extra_file = repo / "config" / "extra.yaml"
    if extra:
        extra_file.write_text(EXTRA)
    else:
        extra_file.unlink(missing_ok=True)
    return gitservers.commit_all(repo, f"version {version}")


class Harness:
    """One controller thread, the Applications made by the test, kubectl shortcuts."""

    def __init__(
        self, kubectl: Kubectl, kubeconfig: Path, tmp_path: Path, namespace: str, repo: Path
    ) -> None:
        self.kubectl = kubectl
        self.kubeconfig = kubeconfig
        self.tmp_path = tmp_path
        self.namespace = namespace
        self.repo = repo
        self.controller: ControllerThread | None = None
        self.apps: list[str] = []

    def start(self, resync: float) -> ControllerThread:
        self.controller = ControllerThread(
            self.kubeconfig, self.tmp_path / "cache", ARGOCD, resync=resync
        ).start()
        self.wait("the Application CRD", lambda: "applications" in self.kubectl("api-resources"))
        return self.controller

    def create(self, path: str, *, automated: bool = False, **spec: Any) -> str:
        name = f"{path}-{uuid.uuid4().hex[:6]}"
        body: dict[str, Any] = {
            "project": "default",
            "source": {"repoURL": self.repo.as_uri(), "targetRevision": "main", "path": path},
            "destination": {
                "server": "https://kubernetes.default.svc",
                "namespace": self.namespace,
            },
            **spec,
        }
        if automated:
            body["syncPolicy"] = {"automated": {"prune": True}}
        app = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": name, "namespace": ARGOCD},
            "spec": body,
        }
        self.apps.append(name)
        self.kubectl("apply", "-f", "-", stdin=json.dumps(app))
        return name

    def close(self) -> None:
        for name in self.apps:
            self.kubectl(
                "delete", "application", name, "-n", ARGOCD, "--ignore-not-found", "--wait=false"
            )
        if self.controller is not None:
            self.controller.close()

    def get(self, *args: str) -> dict[str, Any] | None:
        out = self.kubectl("get", *args, "--ignore-not-found", "-o", "json")
        return json.loads(out) if out.strip() else None

    def app(self, name: str) -> dict[str, Any]:
        found = self.get("application", name, "-n", ARGOCD)
        assert found is not None, f"application {name} is gone"
        return found

    def patch_app(self, name: str, patch: dict[str, Any]) -> None:
        self.kubectl(
            "patch", "application", name, "-n", ARGOCD, "--type", "merge", "-p", json.dumps(patch)
        )

    def sync(self, name: str, revision: str = "main", prune: bool = True) -> None:
        """Start a sync as ``argocd app sync`` does: write the ``operation`` field."""
        sync = {"revision": revision, "prune": prune}
        self.patch_app(name, {"operation": {"sync": sync, "initiatedBy": {"username": "e2e"}}})

    def version(self) -> str | None:
        cm = self.get("configmap", "settings", "-n", self.namespace)
        return None if cm is None else str(cm["data"]["version"])

    def wait(
        self,
        what: str,
        check: Callable[[], Any],
        app: str = "",
        timeout: float = 45.0,
        interval: float = 0.3,
    ) -> Any:
        def detail() -> str:
            if not app:
                return ""
            status = self.app(app).get("status") or {}
            keys = ("sync", "operationState", "history", "conditions")
            return json.dumps({k: status.get(k) for k in keys})[:3000]

        alive = self.controller.check if self.controller is not None else None
        return wait_for(what, check, timeout, alive=alive, detail=detail, interval=interval)

    def finished(self, name: str, history: int) -> dict[str, Any]:
        """Wait until the app's operation is over with ``history`` entries; return the app."""

        def done() -> dict[str, Any] | None:
            app = self.app(name)
            status = app.get("status") or {}
            phase = (status.get("operationState") or {}).get("phase")
            over = phase in {"Succeeded", "Failed", "Error"} and not app.get("operation")
            return app if over and len(status.get("history") or []) >= history else None

        app: dict[str, Any] = self.wait(f"operation {history} finished", done, name)
        state = app["status"]["operationState"]
        assert state["phase"] == "Succeeded", state.get("message")
        assert len(app["status"]["history"]) == history
        return app

    def synced_to(self, name: str, revision: str, history: int) -> dict[str, Any]:
        """Wait until an automated app is Synced at ``revision`` after ``history`` syncs."""

        def done() -> dict[str, Any] | None:
            app = self.app(name)
            status = app.get("status") or {}
            ok = (
                (status.get("sync") or {}).get("status") == "Synced"
                and (status.get("sync") or {}).get("revision") == revision
                and not app.get("operation")
                and (status.get("operationState") or {}).get("phase") == "Succeeded"
                and len(status.get("history") or []) == history
            )
            return app if ok else None

        found: dict[str, Any] = self.wait(f"Synced at {revision[:8]}", done, name)
        return found


@pytest.fixture
def harness(
    kubectl: Kubectl, kubeconfig: Path, tmp_path: Path, namespace: str, repo: Path, argocd: str
) -> Iterator[Harness]:
    h = Harness(kubectl, kubeconfig, tmp_path, namespace, repo)
    yield h
    h.close()


def _head(repo: Path) -> str:
    return gitservers.commit_all(repo, "noop")  # an empty commit: HEAD of main, content unchanged


# -- a. the refresh annotation --------------------------------------------------------------------
def test_refresh_annotation_normal_and_hard_without_polling(harness: Harness) -> None:
    harness.start(resync=0)
    first = _head(harness.repo)
    name = harness.create("config", automated=True)
    harness.synced_to(name, first, history=1)
    assert harness.version() == "1"

    for level, version in (("normal", 2), ("hard", 3)):
        before = harness.app(name)["status"]
        new = _commit(harness.repo, version)
        # No polling: the new commit goes unnoticed.
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            status = harness.app(name)["status"]
            assert status["sync"]["revision"] == before["sync"]["revision"]
            assert status["history"] == before["history"]
            assert harness.version() == str(version - 1)
            time.sleep(0.5)

        harness.kubectl("annotate", "application", name, "-n", ARGOCD, f"{REFRESH}={level}")
        app = harness.synced_to(name, new, history=version)
        assert harness.version() == str(version), level
        assert app["status"]["history"][-1]["revision"] == new
        assert app["status"]["operationState"]["syncResult"]["revision"] == new

        def annotation_gone() -> bool:
            annotations = harness.app(name)["metadata"].get("annotations") or {}
            return REFRESH not in annotations

        harness.wait(f"the {level} refresh annotation removed", annotation_gone, name)


# -- b. polling -----------------------------------------------------------------------------------
def test_polling_picks_up_a_new_commit(harness: Harness) -> None:
    harness.start(resync=1.0)
    first = _head(harness.repo)
    name = harness.create("config", automated=True)
    harness.synced_to(name, first, history=1)
    second = _commit(harness.repo, 2)
    app = harness.synced_to(name, second, history=2)
    assert harness.version() == "2"
    assert REFRESH not in (app["metadata"].get("annotations") or {})
    assert [h["revision"] for h in app["status"]["history"]] == [first, second]


# -- c. rollback ----------------------------------------------------------------------------------
def test_rollback_to_an_earlier_revision(harness: Harness) -> None:
    harness.start(resync=0)
    a = _head(harness.repo)
    name = harness.create("config")
    harness.sync(name)
    app = harness.finished(name, history=1)
    assert app["status"]["operationState"]["syncResult"]["revision"] == a
    assert harness.version() == "1"

    b = _commit(harness.repo, 2, extra=True)
    harness.sync(name)
    app = harness.finished(name, history=2)
    assert app["status"]["operationState"]["syncResult"]["revision"] == b
    assert harness.version() == "2"
    assert harness.get("configmap", "extra", "-n", harness.namespace) is not None
    history = app["status"]["history"]
    assert [h["revision"] for h in history] == [a, b]

    # Refused while auto-sync is on, and for an unknown id.
    automated = {**app, "spec": {**app["spec"], "syncPolicy": {"automated": {"prune": True}}}}
    with pytest.raises(ValueError, match="auto-sync"):
        rollback_operation(automated, history[0]["id"])
    with pytest.raises(ValueError, match="no history"):
        rollback_operation(app, 99)

    operation = rollback_operation(app, history[0]["id"], prune=True)
    harness.patch_app(name, {"operation": operation})
    app = harness.finished(name, history=3)
    state = app["status"]["operationState"]
    assert state["syncResult"]["revision"] == a
    assert state["operation"]["sync"]["revision"] == a
    assert harness.version() == "1"  # A's content is back
    assert harness.get("configmap", "extra", "-n", harness.namespace) is None  # pruned
    history = app["status"]["history"]
    assert [h["revision"] for h in history] == [a, b, a]
    assert [h["id"] for h in history] == [0, 1, 2]
    assert app["spec"]["source"]["targetRevision"] == "main"  # the spec is not changed
    # main is still at B: the rolled-back app reads OutOfSync.
    harness.wait(
        "OutOfSync after the rollback",
        lambda: harness.app(name)["status"].get("sync", {}).get("status") == "OutOfSync",
        name,
    )


@pytest.mark.parametrize(
    ("automated", "refused"), [({}, True), ({"enabled": False}, False)], ids=["empty", "disabled"]
)
def test_rollback_refusal_follows_automated_sync_semantics(
    automated: dict[str, Any], refused: bool
) -> None:
    app = {
        "metadata": {"name": "x"},
        "spec": {"syncPolicy": {"automated": automated}},
        "status": {"history": [{"id": 0, "revision": "a" * 40, "source": {}}]},
    }
    if refused:
        with pytest.raises(ValueError, match="auto-sync"):
            rollback_operation(app, 0)
    else:
        assert rollback_operation(app, 0)["sync"]["revision"] == "a" * 40


# -- d. terminate ---------------------------------------------------------------------------------
def _terminate_while_waiting_on_hook(harness: Harness) -> dict[str, Any]:
    """Sync the ``terminate`` app, terminate it while its PreSync hook runs; the final app."""
    harness.start(resync=0)
    name = harness.create("terminate")
    harness.sync(name)

    def waiting_on_hook() -> bool:
        state = harness.app(name).get("status", {}).get("operationState") or {}
        hooks = [
            r
            for r in (state.get("syncResult") or {}).get("resources") or []
            if r.get("name") == "stuck"
        ]
        return state.get("phase") == "Running" and bool(hooks)

    harness.wait("the sync waiting on the PreSync hook", waiting_on_hook, name)
    job = harness.get("job", "stuck", "-n", harness.namespace)
    assert job is not None
    assert not job["status"].get("succeeded")
    time.sleep(1.0)  # still waiting a moment later
    assert harness.app(name)["status"]["operationState"]["phase"] == "Running"

    # What `argocd app terminate-op` does: the CRD has no status subresource.
    harness.patch_app(name, {"status": {"operationState": {"phase": "Terminating"}}})

    def ended() -> dict[str, Any] | None:
        app = harness.app(name)
        phase = (app.get("status", {}).get("operationState") or {}).get("phase")
        return app if phase not in {"Running", "Terminating"} and not app.get("operation") else None

    found: dict[str, Any] = harness.wait("the operation terminated", ended, name)
    return found


def test_terminate_a_sync_waiting_on_a_hook(harness: Harness) -> None:
    app = _terminate_while_waiting_on_hook(harness)
    name = app["metadata"]["name"]
    state = app["status"]["operationState"]
    assert state["phase"] == "Failed", state
    assert "terminat" in str(state.get("message")).lower(), state
    assert state.get("finishedAt")
    assert "operation" not in app
    assert not app["status"].get("history")
    # Nothing after the hook was applied, and the controller does not start over.
    time.sleep(2.0)
    assert harness.get("configmap", "after", "-n", harness.namespace) is None
    app = harness.app(name)
    assert "operation" not in app
    assert app["status"]["operationState"]["phase"] == "Failed"
    assert app["status"]["sync"]["status"] == "OutOfSync"


def test_terminate_deletes_the_running_hook(harness: Harness) -> None:
    """As gitops-engine's ``syncContext.Terminate``: a hook still running is deleted and its
    result reads ``Deleted`` (hook phase no longer Running)."""
    app = _terminate_while_waiting_on_hook(harness)
    results = app["status"]["operationState"]["syncResult"]["resources"]
    hook = next(r for r in results if r["name"] == "stuck")
    assert hook.get("hookPhase") != "Running", hook

    def gone() -> bool:
        job = harness.get("job", "stuck", "-n", harness.namespace)
        return job is None or bool(job["metadata"].get("deletionTimestamp"))

    harness.wait("the running hook Job deleted", gone, app["metadata"]["name"], timeout=10)


# -- e. revisionHistoryLimit ----------------------------------------------------------------------
def test_revision_history_limit_keeps_the_newest(harness: Harness) -> None:
    harness.start(resync=0)
    revisions = [_head(harness.repo)]
    name = harness.create("config", revisionHistoryLimit=2)
    for n in (1, 2, 3):
        if n > 1:
            revisions.append(_commit(harness.repo, n))
        harness.sync(name)

        def synced(n: int = n) -> dict[str, Any] | None:
            app = harness.app(name)
            state = (app.get("status") or {}).get("operationState") or {}
            done = state.get("phase") == "Succeeded" and not app.get("operation")
            ok = done and (state.get("syncResult") or {}).get("revision") == revisions[n - 1]
            return app if ok else None

        app = harness.wait(f"sync {n}", synced, name)
        assert harness.version() == str(n)
        history = app["status"]["history"]
        expected = list(range(n))[-2:]
        assert [h["id"] for h in history] == expected
        assert [h["revision"] for h in history] == [revisions[i] for i in expected]
