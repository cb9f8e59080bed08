"""Drift forensics against a real apiserver: managedFields as kube-apiserver writes them.

kapstan's manager server-side-applies a Deployment; kubectl then scales it, sets an
image and an env var, patches metadata and restarts the rollout. The server-side diff's
patch paths must be attributed to the managers the apiserver really recorded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.engine.diff import diff_resource
from kapstan.engine.drift import describe, drift_records, drifted_paths
from kapstan.engine.mode import DiffMode
from kapstan.localcluster.kubectl import Kubectl
from kapstan.model.status import SyncStatusCode

pytestmark = pytest.mark.cluster
TESTDATA = Path(__file__).parent / "testdata"
MANAGER = "kapstan-controller"
WEB = "/spec/template/spec/containers/0"


def read_live(kubectl: Kubectl, namespace: str) -> dict[str, Any]:
    live: dict[str, Any] = kubectl.get_json(
        "deployment", "web", "-n", namespace, "--show-managed-fields"
    )
    return live


def ssa(kubectl: Kubectl, namespace: str, *extra: str) -> dict[str, Any]:
    """Server-side apply of the fixture by kapstan's manager (``extra``: dry-run flags)."""
    out = kubectl(
        "apply",
        "--server-side",
        f"--field-manager={MANAGER}",
        "--show-managed-fields",
        *extra,
        "-n",
        namespace,
        "-o",
        "json",
        "-f",
        str(TESTDATA / "web-minimal.yaml"),
    )
    result: dict[str, Any] = json.loads(out)
    return result


def test_drift_is_attributed_to_the_managers_the_apiserver_recorded(
    kubectl: Kubectl, namespace: str
) -> None:
    ssa(kubectl, namespace)
    ns = ("-n", namespace)
    # Nothing drifted yet: kapstan owns everything it applied, so nothing is reported.
    assert drift_records(read_live(kubectl, namespace), ["/spec/replicas", f"{WEB}/image"]) == ()

    kubectl("scale", "deployment/web", "--replicas=5", *ns)
    kubectl("set", "image", "deployment/web", "web=registry.example/web:2.0", *ns)
    kubectl("set", "env", "deployment/web", "-c", "web", "LOG_LEVEL=debug", *ns)
    labels = {"app.kubernetes.io/name": "web", "app": None}
    meta = {"labels": labels, "finalizers": ["example.com/keep"]}
    kubectl("patch", "deployment", "web", *ns, "--type=merge", "-p", json.dumps({"metadata": meta}))
    kubectl("rollout", "restart", "deployment/web", *ns)
    # Let kube-controller-manager finish with the rollout (it bumps the revision annotation),
    # so the live read and the dry-run below see the same object.
    kubectl("rollout", "status", "deployment/web", *ns, "--timeout=60s")
    live = read_live(kubectl, namespace)
    desired = yaml.safe_load((TESTDATA / "web-minimal.yaml").read_text())
    desired["metadata"]["namespace"] = namespace

    result = diff_resource(
        desired,
        live,
        mode=DiffMode.SERVER_SIDE,
        dry_run=ssa(kubectl, namespace, "--dry-run=server", "--force-conflicts"),
    )
    assert result.sync_status is SyncStatusCode.OUT_OF_SYNC
    paths = drifted_paths(result.patch)
    # The label "app" the patch removed drifted too, but removals leave no owner behind.
    assert "/metadata/labels/app" in paths
    records = drift_records(live, paths)
    got = {r.path: (r.manager, r.operation, r.subresource) for r in records}
    assert got == {
        # kubectl scale goes through the scale subresource as plain "kubectl".
        "/spec/replicas": ("kubectl", "Update", "scale"),
        # set image and set env share one manager, "kubectl-set".
        f"{WEB}/image": ("kubectl-set", "Update", ""),
        f"{WEB}/env/0/value": ("kubectl-set", "Update", ""),
    }
    times = {r.path: r.time for r in records}
    assert times["/spec/replicas"] == ""  # the apiserver records no time for /scale
    assert times[f"{WEB}/image"].endswith("Z")
    assert "spec.replicas changed by kubectl (Update, scale subresource)" in describe(records)

    # Fields another manager added (a server-side diff keeps them, a three-way diff
    # would remove them) are attributed when asked about directly.
    extra = drift_records(
        live,
        [
            "/metadata/labels/app.kubernetes.io~1name",
            "/metadata/finalizers/0",
            "/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt",
        ],
    )
    assert [(r.manager, r.operation) for r in extra] == [
        ("kubectl-patch", "Update"),
        ("kubectl-patch", "Update"),
        ("kubectl-rollout", "Update"),
    ]
    kubectl(
        "patch", "deployment", "web", *ns, "--type=merge", "-p", '{"metadata":{"finalizers":null}}'
    )
