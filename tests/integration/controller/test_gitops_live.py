"""The GitOps loop end to end against the real cluster and a real git repository (file://):

- the status an Argo CD user reads has Argo CD's shape, field by field;
- a ``kubectl`` edit of a managed field turns the app OutOfSync within 2 s (live cache, no
  polling), names the manager that made it (drift forensics), and self-heal reverts it;
- a resource removed from Git is pruned only with ``prune: true``; an empty render never
  wipes the app; a broken commit is a ``ComparisonError`` and changes nothing;
- an orphaned ConfigMap gives ``OrphanedResourceWarning`` when the project asks for it.

The controller runs in a thread with polling off (``resync=0``): Git changes reach it through
the ``argocd.argoproj.io/refresh`` annotation, as they would through a webhook.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kapstan.demo import repo as demo_repo
from kapstan.localcluster.kubectl import Kubectl
from kapstan.testing import gitservers
from kapstan.testing.controllers import ControllerThread
from kapstan.testing.waiting import wait_for

pytestmark = pytest.mark.cluster

GUESTBOOK = Path(__file__).parents[2] / "unit" / "render" / "testdata" / "apps" / "guestbook-dir"
ARGOCD = "argocd"
IN_CLUSTER = "https://kubernetes.default.svc"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    work = gitservers.init_worktree(tmp_path / "apps")
    shutil.copytree(GUESTBOOK, work / "guestbook", ignore=shutil.ignore_patterns("extra"))
    gitservers.commit_all(work, "guestbook")
    return work


@pytest.fixture
def controller(tmp_path: Path, kubeconfig: Path, argocd: str) -> Iterator[ControllerThread]:
    bg = ControllerThread(kubeconfig, tmp_path / "cache", ARGOCD, resync=0).start()
    yield bg
    bg.close()
    bg.check()


class App:
    """One Application under test, read and changed through kubectl."""

    def __init__(self, kubectl: Kubectl, bg: ControllerThread, name: str) -> None:
        self.kubectl = kubectl
        self.bg = bg
        self.name = name

    def create(self, repo: Path, namespace: str, automated: dict[str, Any] | None) -> None:
        spec: dict[str, Any] = {
            "project": "default",
            "source": {"repoURL": repo.as_uri(), "targetRevision": "main", "path": "guestbook"},
            "destination": {"server": IN_CLUSTER, "namespace": namespace},
        }
        if automated is not None:
            spec["syncPolicy"] = {"automated": automated}
        doc = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": self.name, "namespace": ARGOCD},
            "spec": spec,
        }
        deadline = time.monotonic() + 60
        while "applications" not in self.kubectl("api-resources", "--api-group=argoproj.io"):
            assert time.monotonic() < deadline, "the controller did not install the CRDs"
            time.sleep(0.2)
        self.kubectl("apply", "-f", "-", stdin=json.dumps(doc))

    def get(self) -> dict[str, Any]:
        found: dict[str, Any] = self.kubectl.get_json("application", self.name, "-n", ARGOCD)
        return found

    def status(self) -> dict[str, Any]:
        return self.get().get("status") or {}

    def patch(self, patch: dict[str, Any]) -> None:
        self.kubectl(
            "patch", "application", self.name, "-n", ARGOCD, "--type=merge", "-p", json.dumps(patch)
        )

    def refresh(self) -> None:
        self.kubectl(
            "annotate", "application", self.name, "-n", ARGOCD, "--overwrite",
            "argocd.argoproj.io/refresh=normal",
        )  # fmt: skip

    def wait(self, what: str, check: Any, timeout: float = 60.0, poll: float = 0.3) -> Any:
        last: dict[str, Any] = {}

        def probe() -> Any:
            last.clear()
            last.update(self.status())
            return check(last)

        def detail() -> str:
            shown = json.dumps({k: last.get(k) for k in ("sync", "conditions", "operationState")})
            return f"{self.name}: {shown[:3000]}"

        return wait_for(what, probe, timeout, alive=self.bg.check, detail=detail, interval=poll)

    def delete(self) -> None:
        self.kubectl("delete", "application", self.name, "-n", ARGOCD, "--ignore-not-found")


def synced_healthy(status: dict[str, Any]) -> bool:
    return (status.get("sync") or {}).get("status") == "Synced" and (
        status.get("health") or {}
    ).get("status") == "Healthy"


def sync_status(status: dict[str, Any]) -> str:
    return str((status.get("sync") or {}).get("status") or "")


def conditions(status: dict[str, Any], kind: str) -> list[str]:
    return [str(c["message"]) for c in status.get("conditions") or [] if c["type"] == kind]


def resource(status: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    for r in status.get("resources") or []:
        if r["kind"] == kind and r["name"] == name:
            return dict(r)
    raise AssertionError(f"{kind}/{name} not in status.resources")


@pytest.fixture
def app(
    kubectl: Kubectl, controller: ControllerThread, request: pytest.FixtureRequest
) -> Iterator[App]:
    a = App(kubectl, controller, f"gb-{request.node.name[5:25].replace('_', '-').strip('-')}")
    yield a
    a.delete()


def test_status_has_argo_cd_shape(repo: Path, app: App, namespace: str) -> None:
    app.create(repo, namespace, {"prune": True})
    status = app.wait("Synced/Healthy", lambda s: s if synced_healthy(s) else None)
    status = app.wait("history", lambda s: s if s.get("history") else None)
    spec = app.get()["spec"]
    assert set(status) >= {"sync", "health", "resources", "summary", "reconciledAt", "sourceType"}
    assert set(status) <= {
        "sync", "health", "resources", "summary", "reconciledAt", "observedAt", "sourceType",
        "operationState", "history", "conditions",
    }  # fmt: skip
    sync = status["sync"]
    assert set(sync) == {"status", "revision", "comparedTo"}
    assert len(sync["revision"]) == 40
    assert sync["comparedTo"] == {"source": spec["source"], "destination": spec["destination"]}
    assert status["health"] == {"status": "Healthy"}
    assert status["sourceType"] == "Directory"
    assert status["summary"] == {"images": ["gcr.io/heptio-images/ks-guestbook-demo:0.2"]}
    dep = resource(status, "Deployment", "guestbook-ui")
    assert dep == {
        "group": "apps", "version": "v1", "kind": "Deployment", "namespace": namespace,
        "name": "guestbook-ui", "status": "Synced", "health": {"status": "Healthy"},
    }  # fmt: skip
    svc = resource(status, "Service", "guestbook-ui")
    assert "group" not in svc
    assert svc["version"] == "v1"
    assert svc["health"] == {"status": "Healthy"}
    op = status["operationState"]
    assert set(op) == {"operation", "phase", "message", "syncResult", "startedAt", "finishedAt"}
    assert op["phase"] == "Succeeded"
    assert op["operation"]["initiatedBy"] == {"automated": True}
    assert op["operation"]["sync"]["revision"] == sync["revision"]
    assert op["syncResult"]["revision"] == sync["revision"]
    assert op["syncResult"]["source"] == spec["source"]
    for r in op["syncResult"]["resources"]:
        assert {"kind", "namespace", "name", "version", "status", "message", "syncPhase"} <= set(r)
        assert r["status"] == "Synced"
        assert r["syncPhase"] == "Sync"
    (entry,) = status["history"]
    assert set(entry) == {
        "id",
        "revision",
        "deployedAt",
        "deployStartedAt",
        "source",
        "initiatedBy",
    }
    assert entry["id"] == 0
    assert entry["revision"] == sync["revision"]
    assert "operation" not in app.get()


def test_live_edit_is_out_of_sync_within_two_seconds_and_names_the_manager(
    repo: Path, app: App, namespace: str, kubectl: Kubectl
) -> None:
    app.create(repo, namespace, {"prune": True})
    app.wait("Synced/Healthy", synced_healthy)
    kubectl("scale", "deployment", "guestbook-ui", "-n", namespace, "--replicas=3")
    edited = time.monotonic()
    status = app.wait(
        "OutOfSync", lambda s: s if sync_status(s) == "OutOfSync" else None, poll=0.05
    )
    assert time.monotonic() - edited < 2.0
    status = app.wait(
        "drift record",
        lambda s: s if resource(s, "Deployment", "guestbook-ui").get("drift") else None,
    )
    (drift,) = resource(status, "Deployment", "guestbook-ui")["drift"]
    assert drift["path"] == "/spec/replicas"
    assert drift["manager"] == "kubectl"
    assert drift["operation"] == "Update"
    # Without selfHeal the edit stays; with it, it is reverted.
    time.sleep(2)
    assert kubectl.get_json("deployment", "guestbook-ui", "-n", namespace)["spec"]["replicas"] == 3
    app.patch({"spec": {"syncPolicy": {"automated": {"prune": True, "selfHeal": True}}}})
    app.wait("self-heal", synced_healthy)
    assert kubectl.get_json("deployment", "guestbook-ui", "-n", namespace)["spec"]["replicas"] == 1


def test_prune_needs_prune_true_and_an_empty_render_wipes_nothing(
    repo: Path, app: App, namespace: str, kubectl: Kubectl
) -> None:
    app.create(repo, namespace, {"prune": False})
    app.wait("Synced/Healthy", synced_healthy)
    (repo / "guestbook" / "service.yml").unlink()
    second = gitservers.commit_all(repo, "drop the service")
    app.refresh()
    status = app.wait(
        "the service to need pruning",
        lambda s: (
            s
            if (s.get("sync") or {}).get("revision") == second and sync_status(s) == "OutOfSync"
            else None
        ),
    )
    assert resource(status, "Service", "guestbook-ui")["requiresPruning"] is True
    time.sleep(2)  # automated sync without prune leaves it alone
    assert kubectl("get", "service", "guestbook-ui", "-n", namespace, "-o", "name")
    app.patch({"spec": {"syncPolicy": {"automated": {"prune": True}}}})
    app.wait(
        "pruned",
        lambda s: synced_healthy(s) and not any(r["kind"] == "Service" for r in s["resources"]),
    )
    assert "guestbook-ui" not in kubectl("get", "services", "-n", namespace, "-o", "name")

    # Every manifest removed: the render is empty and would prune everything.
    (repo / "guestbook" / "deployment.yaml").unlink()
    third = gitservers.commit_all(repo, "empty")
    app.refresh()
    status = app.wait("the wipe-out refusal", lambda s: s if conditions(s, "SyncError") else None)
    assert conditions(status, "SyncError") == ["auto-sync will wipe out all resources"]
    assert status["sync"]["revision"] == third
    time.sleep(2)
    assert kubectl.get_json("deployment", "guestbook-ui", "-n", namespace)["metadata"]["name"]


def test_broken_commit_is_a_comparison_error_and_changes_nothing(
    repo: Path, app: App, namespace: str, kubectl: Kubectl
) -> None:
    app.create(repo, namespace, {"prune": True, "selfHeal": True})
    app.wait("Synced/Healthy", synced_healthy)

    def versions() -> dict[str, str]:
        out = {}
        for kind in ("deployment", "service"):
            obj = kubectl.get_json(kind, "guestbook-ui", "-n", namespace)
            out[kind] = obj["metadata"]["resourceVersion"]
        return out

    before = versions()
    (repo / "guestbook" / "deployment.yaml").write_text("apiVersion: apps/v1\nkind: [unclosed\n")
    gitservers.commit_all(repo, "broken")
    app.refresh()
    status = app.wait("ComparisonError", lambda s: s if conditions(s, "ComparisonError") else None)
    assert "deployment.yaml" in conditions(status, "ComparisonError")[0]
    assert sync_status(status) == "Unknown"
    time.sleep(3)
    assert versions() == before
    assert app.status()["operationState"]["phase"] == "Succeeded"  # no new sync was started

    shutil.copy(GUESTBOOK / "deployment.yaml", repo / "guestbook" / "deployment.yaml")
    gitservers.commit_all(repo, "fixed")
    app.refresh()
    status = app.wait(
        "recovered", lambda s: s if synced_healthy(s) and not s.get("conditions") else None
    )


def test_orphaned_resources_warning(repo: Path, app: App, namespace: str, kubectl: Kubectl) -> None:
    project = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": "watch-orphans", "namespace": ARGOCD},
        "spec": {
            "sourceRepos": ["*"],
            "destinations": [{"server": "*", "namespace": "*"}],
            "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
            "orphanedResources": {"warn": True, "ignore": [{"kind": "Secret"}]},
        },
    }
    app.create(repo, namespace, {"prune": True})
    kubectl("apply", "-f", "-", stdin=json.dumps(project))
    try:
        app.patch({"spec": {"project": "watch-orphans"}})
        app.wait("Synced/Healthy", synced_healthy)
        kubectl("create", "configmap", "stray", "-n", namespace, "--from-literal=a=b")
        kubectl("create", "secret", "generic", "ignored", "-n", namespace, "--from-literal=a=b")
        status = app.wait(
            "orphan warning", lambda s: s if conditions(s, "OrphanedResourceWarning") else None
        )
        assert conditions(status, "OrphanedResourceWarning") == [
            "Application has 1 orphaned resources"
        ]
        assert synced_healthy(status)  # a warning, not a sync problem
        kubectl("delete", "configmap", "stray", "-n", namespace)
        app.wait("warning gone", lambda s: not conditions(s, "OrphanedResourceWarning"))
    finally:
        app.delete()
        kubectl("delete", "appproject", "watch-orphans", "-n", ARGOCD, "--ignore-not-found")


SOURCE_TYPES = {
    "guestbook": "Directory",
    "kustomize-guestbook": "Kustomize",
    "helm-guestbook": "Helm",
    "jsonnet-guestbook": "Directory",
    "sync-waves": "Directory",
}


@pytest.mark.parametrize("sample", sorted(SOURCE_TYPES))
def test_each_sample_app_is_synced_and_healthy_with_argo_cd_status(
    sample: str, tmp_path: Path, controller: ControllerThread, kubectl: Kubectl
) -> None:
    repo = demo_repo.create_repo(tmp_path / "samples")
    doc = demo_repo.application(sample, repo.as_uri(), ARGOCD)
    doc["metadata"]["name"] = f"sample-{sample}"
    dest_ns = f"sample-{sample}"
    doc["spec"]["destination"]["namespace"] = dest_ns
    app = App(kubectl, controller, doc["metadata"]["name"])
    app.create(repo, dest_ns, None)  # waits for the CRD; replaced by the sample's own spec
    kubectl("apply", "-f", "-", stdin=json.dumps(doc))
    try:
        status = app.wait(
            "Synced/Healthy with history",
            lambda s: s if synced_healthy(s) and s.get("history") else None,
            timeout=120,
        )
        assert status["sourceType"] == SOURCE_TYPES[sample]
        assert set(status["sync"]) == {"status", "revision", "comparedTo"}
        assert status["operationState"]["phase"] == "Succeeded"
        assert status["history"][0]["revision"] == status["sync"]["revision"]
        for r in status["resources"]:
            assert {"version", "kind", "namespace", "name"} <= set(r)
            if not r.get("hook"):
                assert r["status"] == "Synced", r
        hooks = [
            r for r in status["operationState"]["syncResult"]["resources"] if r.get("hookType")
        ]
        if sample == "sync-waves":
            assert {h["hookType"] for h in hooks} == {"PreSync", "PostSync"}
            assert {h["hookPhase"] for h in hooks} == {"Succeeded"}
        # The namespace CreateNamespace made is not the app's: never tracked, never pruned.
        ns = kubectl.get_json("namespace", dest_ns)
        assert "argocd.argoproj.io/tracking-id" not in (ns["metadata"].get("annotations") or {})
    finally:
        app.delete()
        kubectl("delete", "namespace", dest_ns, "--wait=false", "--ignore-not-found")


@pytest.mark.parametrize("cascade", [True, False], ids=["finalizer", "no-finalizer"])
def test_deleting_the_app_cascades_only_with_the_resources_finalizer(
    repo: Path, app: App, namespace: str, kubectl: Kubectl, cascade: bool
) -> None:
    app.create(repo, namespace, {"prune": True})
    app.wait("Synced/Healthy", synced_healthy)
    if cascade:
        app.patch({"metadata": {"finalizers": ["resources-finalizer.argocd.argoproj.io"]}})
    kubectl("delete", "application", app.name, "-n", ARGOCD, "--wait=false")
    wait_for(
        "the Application to go",
        lambda: app.name not in kubectl("get", "applications", "-n", ARGOCD, "-o", "name"),
        60,
        alive=app.bg.check,
    )
    names = kubectl("get", "deployments,services", "-n", namespace, "-o", "name")
    if cascade:
        wait_for(
            "the app's resources to go",
            lambda: (
                "guestbook-ui"
                not in kubectl("get", "deployments,services", "-n", namespace, "-o", "name")
            ),
            60,
        )
    else:
        assert "deployment.apps/guestbook-ui" in names
        assert "service/guestbook-ui" in names
