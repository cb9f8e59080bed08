"""AppProject enforcement by the controller against the real cluster, with real Git repos.

Each test runs the controller in a thread on the main cluster, creates an AppProject and an
automated Application in it (a ConfigMap and a Deployment from a file:// repository) and
checks what Argo CD does: a destination, a resource kind or a source repository the project
does not permit is an ``InvalidSpecError`` condition (Argo CD's wording) and nothing is
applied, automated or manual; a project edit is seen by the project watch and re-checks the
app; a deny sync window holds automated syncs and, with ``manualSync``, lets manual ones run.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kapstan.localcluster.kubectl import Kubectl
from kapstan.testing import gitservers
from kapstan.testing.controllers import ControllerThread
from kapstan.testing.waiting import wait_for

pytestmark = pytest.mark.cluster

TESTDATA = Path(__file__).parent / "testdata"
ARGOCD = "argocd"
IN_CLUSTER = "https://kubernetes.default.svc"
CONFIGMAP = "proj-settings"
DEPLOYMENT = "proj-web"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    work = gitservers.init_worktree(tmp_path / "proj-apps")
    shutil.copytree(TESTDATA / "proj-app", work / "app")
    gitservers.commit_all(work, "app")
    return work


@pytest.fixture
def bg(
    tmp_path: Path,
    kubeconfig: Path,
    kubectl: Kubectl,
    argocd: str,
    caplog: pytest.LogCaptureFixture,
    request: pytest.FixtureRequest,
) -> Iterator[ControllerThread]:
    """The controller; Git polling every 0.5 s unless the test passes another ``resync``
    (``0``: every refresh comes from a watch event)."""
    resync = float(getattr(request, "param", 0.5))
    caplog.set_level(logging.INFO, logger="kapstan")
    thread = ControllerThread(kubeconfig, tmp_path / "proj-cache", ARGOCD, resync=resync).start()
    _wait("the AppProject CRD", lambda: "appprojects" in kubectl("api-resources"), thread)
    yield thread
    thread.close()


class Scene:
    """One AppProject and one automated Application in it, deleted at the end."""

    def __init__(self, kubectl: Kubectl, bg: ControllerThread, project: str, app: str) -> None:
        self.kubectl = kubectl
        self.bg = bg
        self.project = project
        self.app = app

    def apply_project(self, spec: dict[str, Any]) -> None:
        project = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AppProject",
            "metadata": {"name": self.project, "namespace": ARGOCD},
            "spec": spec,
        }
        self.kubectl("apply", "-f", "-", stdin=json.dumps(project))

    def patch_project(self, patch: list[dict[str, Any]]) -> None:
        self.kubectl(
            "patch",
            "appproject",
            self.project,
            "-n",
            ARGOCD,
            "--type=json",
            "-p",
            json.dumps(patch),
        )

    def create_app(self, repo: Path, namespace: str) -> None:
        app = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": self.app, "namespace": ARGOCD},
            "spec": {
                "project": self.project,
                "source": {"repoURL": repo.as_uri(), "targetRevision": "main", "path": "app"},
                "destination": {"server": IN_CLUSTER, "namespace": namespace},
                "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
            },
        }
        self.kubectl("apply", "-f", "-", stdin=json.dumps(app))

    def request_sync(self) -> None:
        """A manual sync, as ``argocd app sync`` writes it."""
        operation = {
            "sync": {"revision": "main", "prune": True},
            "initiatedBy": {"username": "tester"},
        }
        self.kubectl(
            "patch",
            "application",
            self.app,
            "-n",
            ARGOCD,
            "--type=merge",
            "-p",
            json.dumps({"operation": operation}),
        )

    def get(self) -> dict[str, Any]:
        found: dict[str, Any] = self.kubectl.get_json("application", self.app, "-n", ARGOCD)
        return found

    def status(self) -> dict[str, Any]:
        status: dict[str, Any] = self.get().get("status") or {}
        return status

    def describe(self) -> str:
        status = self.status()
        keep = ("sync", "health", "conditions", "operationState")
        return json.dumps({k: status.get(k) for k in keep})[:3000]

    def wait(self, what: str, check: Callable[[], Any], timeout: float = 30.0) -> Any:
        return _wait(what, check, self.bg, self.describe, timeout)

    def invalid_spec(self) -> list[str]:
        conditions = self.status().get("conditions") or []
        return [str(c["message"]) for c in conditions if c.get("type") == "InvalidSpecError"]

    def held(self) -> dict[str, Any] | None:
        """The operation state of a sync a window holds (Argo CD keeps it Running)."""
        state: dict[str, Any] = self.status().get("operationState") or {}
        blocked = state.get("message") == "Sync operation blocked by sync window"
        return state if blocked and state.get("phase") == "Running" else None

    def errored(self) -> dict[str, Any] | None:
        """The operation state of a sync refused for an invalid spec (phase Error)."""
        state: dict[str, Any] = self.status().get("operationState") or {}
        return state if state.get("phase") == "Error" else None

    def sync_is(self, expected: dict[str, str]) -> bool:
        sync = self.status().get("sync") or {}
        return all(sync.get(k) == v for k, v in expected.items())

    def synced(self, revision: str | None = None) -> dict[str, Any] | None:
        app = self.get()
        status = app.get("status") or {}
        sync = status.get("sync") or {}
        ok = (
            sync.get("status") == "Synced"
            and (revision is None or sync.get("revision") == revision)
            and not app.get("operation")
            and (status.get("operationState") or {}).get("phase") == "Succeeded"
        )
        return app if ok else None

    def cleanup(self) -> None:
        self.kubectl("delete", "application", self.app, "-n", ARGOCD, "--ignore-not-found")
        self.kubectl("delete", "appproject", self.project, "-n", ARGOCD, "--ignore-not-found")


@pytest.fixture
def scene(
    kubectl: Kubectl, bg: ControllerThread, request: pytest.FixtureRequest
) -> Iterator[Scene]:
    suffix = request.node.originalname.removeprefix("test_").replace("_", "-")[:28].rstrip("-")
    callspec = getattr(request.node, "callspec", None)
    if callspec is not None:
        suffix += "-" + re.sub("[^a-z0-9]+", "-", callspec.id.lower()).strip("-")[:12]
    s = Scene(kubectl, bg, f"proj-{suffix}", f"proj-{suffix}")
    yield s
    s.cleanup()


def _wait(
    what: str,
    check: Callable[[], Any],
    bg: ControllerThread,
    detail: Callable[[], str] = lambda: "",
    timeout: float = 30.0,
) -> Any:
    return wait_for(what, check, timeout, alive=bg.check, detail=detail)


def _applied(kubectl: Kubectl, namespace: str) -> list[str]:
    found = kubectl.get_json("configmaps,deployments", "-n", namespace)
    return sorted(
        f"{o['kind']}/{o['metadata']['name']}"
        for o in found["items"]
        if o["metadata"]["name"] in (CONFIGMAP, DEPLOYMENT)
    )


def _stays(what: str, check: Callable[[], bool], bg: ControllerThread, seconds: float) -> None:
    """``check`` holds for ``seconds`` (several refreshes at resync 0.5 s)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        bg.check()
        assert check(), what
        time.sleep(0.5)


def _everything(**extra: Any) -> dict[str, Any]:
    return {
        "sourceRepos": ["*"],
        "destinations": [{"server": "*", "namespace": "*"}],
        **extra,
    }


def test_destination_not_permitted(
    scene: Scene, repo: Path, kubectl: Kubectl, namespace: str
) -> None:
    scene.project = "restricted"
    scene.apply_project(
        {"sourceRepos": ["*"], "destinations": [{"server": IN_CLUSTER, "namespace": "allowed-*"}]}
    )
    scene.create_app(repo, namespace)
    expected = (
        f"application destination server '{IN_CLUSTER}' and namespace '{namespace}' "
        "do not match any of the allowed destinations in project 'restricted'"
    )
    messages = scene.wait("InvalidSpecError", scene.invalid_spec)
    assert expected in messages
    _stays("nothing applied", lambda: _applied(kubectl, namespace) == [], scene.bg, 3)
    assert scene.status()["sync"]["status"] == "OutOfSync"
    assert "operationState" not in scene.status()  # the automated sync never started

    # A manual sync fails at once with the conditions (Argo CD's SyncAppState) and applies nothing.
    scene.request_sync()
    state = scene.wait("the manual sync refused", scene.errored)
    assert state["message"].startswith(f"InvalidSpecError: {expected}")
    assert "syncResult" not in state
    _stays("nothing applied", lambda: _applied(kubectl, namespace) == [], scene.bg, 3)
    assert not scene.get().get("operation")
    assert not scene.status().get("history")


KIND_RULES: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {
    # Deny ConfigMaps, or allow only Deployments; the second patch lifts the restriction.
    "blacklist": (
        {"namespaceResourceBlacklist": [{"group": "", "kind": "ConfigMap"}]},
        [{"op": "remove", "path": "/spec/namespaceResourceBlacklist"}],
    ),
    "whitelist": (
        {"namespaceResourceWhitelist": [{"group": "apps", "kind": "Deployment"}]},
        [
            {
                "op": "add",
                "path": "/spec/namespaceResourceWhitelist/-",
                "value": {"group": "", "kind": "ConfigMap"},
            }
        ],
    ),
}


@pytest.mark.parametrize("bg", [0], indirect=True, ids=["no-polling"])
@pytest.mark.parametrize("rules", sorted(KIND_RULES))
def test_resource_kind_denied_then_allowed(
    scene: Scene, repo: Path, kubectl: Kubectl, namespace: str, rules: str
) -> None:
    restrict, lift = KIND_RULES[rules]
    scene.apply_project(_everything(**restrict))
    scene.create_app(repo, namespace)
    expected = f"resource :ConfigMap is not permitted in project {scene.project}"
    messages = scene.wait("InvalidSpecError", scene.invalid_spec)
    assert messages == [expected]
    _stays("nothing applied", lambda: _applied(kubectl, namespace) == [], scene.bg, 3)
    assert "operationState" not in scene.status()

    # The project now allows it: the project watch (no polling here) re-checks the app.
    scene.patch_project(lift)
    app = scene.wait("Synced", scene.synced)
    assert not [c for c in app["status"].get("conditions") or [] if "Error" in c["type"]]
    assert _applied(kubectl, namespace) == [f"ConfigMap/{CONFIGMAP}", f"Deployment/{DEPLOYMENT}"]


def test_deny_window_holds_automated_sync(
    scene: Scene, repo: Path, kubectl: Kubectl, namespace: str
) -> None:
    window = {"kind": "deny", "schedule": "* * * * *", "duration": "1h", "applications": ["*"]}
    scene.apply_project(_everything(syncWindows=[window]))
    scene.create_app(repo, namespace)

    # 1. The automated sync waits: OutOfSync, nothing applied, no operation.
    scene.wait("a refresh", lambda: (scene.status().get("sync") or {}).get("status"))
    _stays("nothing applied", lambda: _applied(kubectl, namespace) == [], scene.bg, 4)
    status = scene.status()
    assert status["sync"]["status"] == "OutOfSync", scene.describe()
    assert "operationState" not in status
    assert not scene.get().get("operation")
    assert not scene.invalid_spec()

    # 2. A manual sync is held by the window too ...
    scene.request_sync()
    state = scene.wait("the manual sync held", scene.held)
    assert state["phase"] == "Running"
    assert state["message"] == "Sync operation blocked by sync window"
    assert _applied(kubectl, namespace) == []

    # 3. ... and runs once the window allows manual syncs.
    scene.patch_project([{"op": "add", "path": "/spec/syncWindows/0/manualSync", "value": True}])
    app = scene.wait("the manual sync done", scene.synced)
    assert app["status"]["operationState"]["operation"]["initiatedBy"] == {"username": "tester"}
    first = app["status"]["sync"]["revision"]
    assert _applied(kubectl, namespace) == [f"ConfigMap/{CONFIGMAP}", f"Deployment/{DEPLOYMENT}"]

    # 4. A new commit: the automated sync is still held (manualSync is for manual syncs) ...
    settings = repo / "app" / "configmap.yaml"
    settings.write_text(settings.read_text().replace('level: "1"', 'level: "2"'))
    second = gitservers.commit_all(repo, "level 2")
    out_of_sync = {"status": "OutOfSync", "revision": second}
    scene.wait("OutOfSync at the new commit", lambda: scene.sync_is(out_of_sync))

    def level() -> str:
        return str(kubectl.get_json("configmap", CONFIGMAP, "-n", namespace)["data"]["level"])

    _stays("automated sync held", lambda: level() == "1", scene.bg, 3)
    assert scene.sync_is(out_of_sync)
    assert (scene.status().get("operationState") or {}).get("syncResult", {}).get(
        "revision"
    ) == first
    assert len(scene.status()["history"]) == 1

    # 5. ... until the window is removed.
    scene.patch_project([{"op": "remove", "path": "/spec/syncWindows"}])
    app = scene.wait("the automated sync", lambda: scene.synced(second))
    assert app["status"]["operationState"]["operation"]["initiatedBy"] == {"automated": True}
    assert level() == "2"


def test_source_repo_not_permitted(
    scene: Scene, repo: Path, kubectl: Kubectl, namespace: str
) -> None:
    scene.apply_project(
        {
            "sourceRepos": ["https://git.example.com/*"],
            "destinations": [{"server": "*", "namespace": "*"}],
        }
    )
    scene.create_app(repo, namespace)
    expected = f"application repo {repo.as_uri()} is not permitted in project '{scene.project}'"
    messages = scene.wait("InvalidSpecError", scene.invalid_spec)
    assert messages == [expected]
    _stays("nothing applied", lambda: _applied(kubectl, namespace) == [], scene.bg, 3)
    assert "operationState" not in scene.status()
