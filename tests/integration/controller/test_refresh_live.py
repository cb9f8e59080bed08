"""Refresh against the real cluster: a guestbook app from a real git repository (file://),
applied with kubectl server-side apply and tracking annotations, then refreshed.

Proves the Argo CD status shape for Synced/Healthy, OutOfSync after a live edit of a managed
field, and a ComparisonError (naming the broken file) after an invalid-YAML commit, with the
cluster left untouched by the refresh.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kapstan.engine.compare import compute_status
from kapstan.engine.tracking import Tracking
from kapstan.localcluster.kubectl import Kubectl
from kapstan.services.manifests import ManifestGenerationError, ManifestGenerator
from kapstan.testing import gitservers

pytestmark = pytest.mark.cluster

GUESTBOOK = Path(__file__).parents[2] / "unit" / "render" / "testdata" / "apps" / "guestbook-dir"
APP = "guestbook"


def is_namespaced(group: str, kind: str) -> bool | None:
    return kind not in {"Namespace", "ClusterRole", "ClusterRoleBinding"}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    work = gitservers.init_worktree(tmp_path / "apps")
    shutil.copytree(GUESTBOOK, work / "guestbook")
    gitservers.commit_all(work, "guestbook")
    return work


def _app(repo: Path, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": APP, "namespace": "argocd"},
        "spec": {
            "project": "default",
            "source": {"repoURL": repo.as_uri(), "targetRevision": "main", "path": "guestbook"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
        },
    }


class Cluster:
    def __init__(self, kubectl: Kubectl, namespace: str) -> None:
        self.kubectl = kubectl
        self.namespace = namespace

    async def live(self, _desired: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        found = self.kubectl.get_json("deployments,services,configmaps", "-n", self.namespace)
        return list(found["items"])

    def versions(self) -> dict[str, str]:
        items = self.kubectl.get_json("deployments,services,configmaps", "-n", self.namespace)
        return {
            f"{o['kind']}/{o['metadata']['name']}": o["metadata"]["resourceVersion"]
            for o in items["items"]
        }


def with_tracking(app: str, obj: dict[str, Any]) -> dict[str, Any]:
    return Tracking().stamp(app, obj)


def _refresh(app: dict[str, Any], gen: ManifestGenerator, cluster: Cluster) -> dict[str, Any]:
    """Generate (a failure is the comparison error), read live, compare: a refresh."""
    spec = app["spec"]
    generated = error = None
    try:
        generated = asyncio.run(
            gen.generate(
                app_name=APP, namespace=spec["destination"]["namespace"], source=spec["source"]
            )
        )
    except ManifestGenerationError as err:
        error = err
    live = asyncio.run(cluster.live([]))
    return compute_status(
        app, generated, error, live, now=datetime.now(UTC), is_namespaced=is_namespaced
    )


def test_refresh_synced_then_drift_then_broken_commit(
    tmp_path: Path, repo: Path, kubectl: Kubectl, namespace: str
) -> None:
    app = _app(repo, namespace)
    gen = ManifestGenerator(cache_root=tmp_path / "cache")
    cluster = Cluster(kubectl, namespace)

    generated = asyncio.run(
        gen.generate(app_name=APP, namespace=namespace, source=app["spec"]["source"])
    )
    docs = []
    for obj in generated.objects:
        placed = {**obj, "metadata": {**obj["metadata"], "namespace": namespace}}
        docs.append(with_tracking(APP, placed))
    kubectl(
        "apply",
        "--server-side",
        "--field-manager=argocd-controller",
        "-f",
        "-",
        stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": docs}),
    )

    # 1. Synced, and Healthy once kwok has made the pod available.
    deadline = time.monotonic() + 60
    while True:
        status = _refresh(app, gen, cluster)
        if status["health"]["status"] == "Healthy" or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert status["sync"]["status"] == "Synced", status["resources"]
    assert status["health"] == {"status": "Healthy"}
    assert status["sync"]["revision"] == generated.revisions[0]
    assert len(status["sync"]["revision"]) == 40
    assert status["sync"]["comparedTo"] == {
        "source": app["spec"]["source"],
        "destination": app["spec"]["destination"],
    }
    assert status["sourceType"] == "Directory"
    assert status["summary"] == {"images": ["gcr.io/heptio-images/ks-guestbook-demo:0.2"]}
    assert datetime.strptime(status["reconciledAt"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=UTC
    ) <= datetime.now(UTC)
    assert "conditions" not in status
    assert status["resources"] == [
        {
            "version": "v1",
            "kind": "Service",
            "namespace": namespace,
            "name": "guestbook-ui",
            "status": "Synced",
            "health": {"status": "Healthy"},
        },
        {
            "group": "apps",
            "version": "v1",
            "kind": "Deployment",
            "namespace": namespace,
            "name": "guestbook-ui",
            "status": "Synced",
            "health": {"status": "Healthy"},
        },
    ]

    # 2. A live edit of a managed field: OutOfSync, naming that resource only.
    kubectl(
        "patch",
        "deployment",
        "guestbook-ui",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        json.dumps({"spec": {"replicas": 2}}),
    )
    status = _refresh(app, gen, cluster)
    assert status["sync"]["status"] == "OutOfSync"
    by_kind = {r["kind"]: r for r in status["resources"]}
    assert by_kind["Deployment"]["status"] == "OutOfSync"
    assert by_kind["Deployment"]["name"] == "guestbook-ui"
    assert by_kind["Service"]["status"] == "Synced"

    # 3. A broken commit: ComparisonError naming the file; refresh changes nothing live.
    (repo / "guestbook" / "broken.yaml").write_text("kind: [unclosed\n  name: {\n")
    gitservers.commit_all(repo, "broken")
    before = cluster.versions()
    status = _refresh(app, gen, cluster)
    assert status["sync"]["status"] == "Unknown"
    (cond,) = status["conditions"]
    assert cond["type"] == "ComparisonError"
    assert "broken.yaml" in cond["message"]
    assert {r["status"] for r in status["resources"]} == {"Unknown"}
    assert all("requiresPruning" not in r for r in status["resources"])
    assert {r["kind"] for r in status["resources"]} == {"Deployment", "Service"}
    assert "revision" not in status["sync"]
    assert "sourceType" not in status
    assert cluster.versions() == before
