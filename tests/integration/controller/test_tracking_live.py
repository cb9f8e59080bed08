"""Each of Argo CD's tracking methods (argocd-cm ``application.resourceTrackingMethod``) end to
end through ``kapstan controller``: what a sync writes on the objects, the status, pruning of a
resource removed from git, and the orphaned-resources warning for an object no app tracks.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kapstan.localcluster.kubectl import Kubectl
from kapstan.localcluster.process import CommandError
from kapstan.testing import gitservers
from kapstan.testing.argo import ArgoNamespace, conditions, resource, synced_healthy

pytestmark = pytest.mark.cluster

TESTDATA = Path(__file__).parent / "testdata"
ANNOTATION = "argocd.argoproj.io/tracking-id"
LABEL = "example.com/instance"  # a custom application.instanceLabelKey


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return gitservers.worktree_with(tmp_path / "apps", (TESTDATA / "tracked", "tracked"))


@pytest.fixture(params=["annotation", "annotation+label", "label"])
def argo(
    request: pytest.FixtureRequest, kubectl: Kubectl, kubeconfig: Path, tmp_path: Path
) -> Iterator[ArgoNamespace]:
    ns = ArgoNamespace(kubectl, kubeconfig, tmp_path, prefix="track")
    ns.set_argocd_cm(
        {"application.resourceTrackingMethod": request.param, "application.instanceLabelKey": LABEL}
    )
    ns.kubectl(
        "patch", "appproj", "default", "-n", ns.name, "--type=merge",
        "-p", '{"spec": {"orphanedResources": {"warn": true}}}',
    )  # fmt: skip
    ns.method = request.param  # type: ignore[attr-defined]
    ns.start(process=True)
    yield ns
    ns.close()


def _marks(obj: dict[str, Any]) -> tuple[bool, str | None]:
    meta = obj["metadata"]
    return ANNOTATION in (meta.get("annotations") or {}), (meta.get("labels") or {}).get(LABEL)


def test_tracking_method_end_to_end(
    argo: ArgoNamespace, kubectl: Kubectl, repo: Path, namespace: str
) -> None:
    method: str = argo.method  # type: ignore[attr-defined]
    app = "tracked"
    source = {"repoURL": repo.as_uri(), "targetRevision": "main", "path": "tracked"}
    argo.create_app(app, source, namespace, syncPolicy={"automated": {"prune": True}})
    status = argo.wait("the app to be Synced and Healthy", app, synced_healthy, 120)
    status = argo.status(app)

    # What the sync wrote: the annotation, the label, or both.
    want = {
        "annotation": (True, None),
        "annotation+label": (True, app),
        "label": (False, app),
    }[method]
    for kind, name in (("deployment", "web"), ("configmap", "keep"), ("configmap", "extra")):
        assert _marks(kubectl.get_json(kind, name, "-n", namespace)) == want, (kind, name)
    kinds = sorted((r["kind"], r["name"]) for r in status["resources"])
    # Pods and ReplicaSets never count as the app's resources, whatever labels they copied.
    assert kinds == [("ConfigMap", "extra"), ("ConfigMap", "keep"), ("Deployment", "web")]

    # An object of the namespace that no app tracks: the orphaned-resources warning.
    kubectl("create", "configmap", "stray", "-n", namespace, "--from-literal=x=y")

    def orphan_warning(s: dict[str, Any]) -> list[str]:
        return conditions(s, "OrphanedResourceWarning")

    (message,) = argo.wait("the orphan warning", app, orphan_warning)
    assert "orphaned resource" in message

    # Removed from git: pruned by automated sync with prune, found by the tracking method.
    (repo / "tracked" / "extra.yaml").unlink()
    gitservers.commit_all(repo, "drop extra")
    argo.refreshed(app)

    def pruned(_s: dict[str, Any]) -> bool:
        try:
            kubectl("get", "configmap", "extra", "-n", namespace)
        except CommandError:
            return True
        return False

    argo.wait("extra to be pruned", app, pruned)
    status = argo.wait("the app to be Synced again", app, synced_healthy)
    status = argo.status(app)
    assert resource(status, "ConfigMap", "extra") is None
    assert resource(status, "ConfigMap", "keep") is not None
    # The stray ConfigMap was never the app's: never pruned.
    assert kubectl.get_json("configmap", "stray", "-n", namespace)["data"] == {"x": "y"}
