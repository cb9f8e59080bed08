"""The diff engine against a real apiserver: defaults, last-applied and real edits.

Each scenario applies a minimal manifest the way its mode expects (client-side
``kubectl apply`` for three-way, server-side apply by kapstan's field manager for
server-side diff), reads the object back with every server default filled in, and
checks that the engine calls it Synced; then another manager edits a managed field and
the engine must call it OutOfSync with a diff naming that field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.engine import jsonpatch
from kapstan.engine.diff import ResourceDiff, diff_resource
from kapstan.engine.mode import DiffMode
from kapstan.localcluster.kubectl import Kubectl
from kapstan.model.status import SyncStatusCode
from kapstan.model.vocabulary import LAST_APPLIED
from kapstan.testing.waiting import wait_for

pytestmark = pytest.mark.cluster
TESTDATA = Path(__file__).parent / "testdata"
MANAGER = "kapstan-controller"


def desired_manifest(namespace: str) -> dict[str, Any]:
    """The Git side: the fixture with the destination namespace set, as pairing does."""
    obj = yaml.safe_load((TESTDATA / "web-minimal.yaml").read_text())
    assert isinstance(obj, dict)
    obj["metadata"]["namespace"] = namespace
    return obj


def settled_live(kubectl: Kubectl, namespace: str) -> dict[str, Any]:
    """Live Deployment once the controller has observed the spec and stamped its revision.

    The deployment controller writes ``deployment.kubernetes.io/revision`` shortly after
    a spec change; reading before that would race with the dry-run. managedFields are
    kept, as the API (not kubectl's printer) returns them to the controller.
    """

    def read() -> dict[str, Any] | None:
        obj: dict[str, Any] = kubectl.get_json(
            "deployment", "web", "-n", namespace, "--show-managed-fields"
        )
        meta, status = obj["metadata"], obj.get("status") or {}
        if status.get("observedGeneration") != meta["generation"]:
            return None
        if "deployment.kubernetes.io/revision" not in (meta.get("annotations") or {}):
            return None
        return obj

    live: dict[str, Any] = wait_for("deployment observed by its controller", read)
    return live


def ssa_dry_run(kubectl: Kubectl, desired: dict[str, Any]) -> dict[str, Any]:
    """Predicted live: a server-side-apply dry-run by kapstan's manager (as Argo CD's SSD).

    Conflicts are forced, as a sync with kapstan's manager would force them; otherwise a
    field another manager took over could not be predicted at all. ``--show-managed-fields``
    matters: kubectl's printer drops managedFields otherwise, and without them every change
    in the dry-run would look like a mutating webhook's and be reverted.
    """
    out = kubectl(
        "apply",
        "--server-side",
        "--dry-run=server",
        "--force-conflicts",
        f"--field-manager={MANAGER}",
        "--show-managed-fields",
        "-o",
        "json",
        "-f",
        "-",
        stdin=json.dumps(desired),
    )
    result: dict[str, Any] = json.loads(out)
    return result


def assert_synced(result: ResourceDiff) -> None:
    assert result.sync_status is SyncStatusCode.SYNCED, result.unified_diff
    assert not result.modified
    assert result.unified_diff == ""
    assert result.patch == ()
    assert result.message == ""


def assert_out_of_sync(result: ResourceDiff, path: str, live: Any, wanted: Any) -> None:
    """OutOfSync with exactly one replace at ``path`` and a text diff showing both values."""
    assert result.sync_status is SyncStatusCode.OUT_OF_SYNC
    assert result.modified
    assert result.patch == ({"op": "replace", "path": path, "value": wanted},)
    field = path.rsplit("/", 1)[-1]
    removed = [ln for ln in result.unified_diff.splitlines() if ln.startswith("- ")]
    added = [ln for ln in result.unified_diff.splitlines() if ln.startswith("+ ")]
    assert any(f"{field}: {live}" in ln for ln in removed), result.unified_diff
    assert any(f"{field}: {wanted}" in ln for ln in added), result.unified_diff
    # The patch really takes normalized live to predicted live.
    assert result.normalized_live is not None
    assert jsonpatch.apply(result.normalized_live, list(result.patch)) == result.predicted_live


def test_three_way_client_side_apply(kubectl: Kubectl, namespace: str) -> None:
    desired = desired_manifest(namespace)
    kubectl("apply", "-n", namespace, "-f", str(TESTDATA / "web-minimal.yaml"))
    live = settled_live(kubectl, namespace)
    # The server really did fill in defaults and rewrite quantities.
    container = live["spec"]["template"]["spec"]["containers"][0]
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert container["ports"][0]["protocol"] == "TCP"
    assert container["resources"]["requests"] == {"cpu": "500m", "memory": "1Gi"}
    assert live["spec"]["strategy"]["type"] == "RollingUpdate"
    assert LAST_APPLIED in live["metadata"]["annotations"]

    assert_synced(diff_resource(desired, live, mode=DiffMode.THREE_WAY))

    # Another manager scales the Deployment: Git's replicas (also in last-applied) win.
    kubectl(
        "patch", "-n", namespace, "deployment/web", "--type=merge", "-p", '{"spec":{"replicas":5}}'
    )
    live = settled_live(kubectl, namespace)
    assert live["spec"]["replicas"] == 5
    assert_out_of_sync(
        diff_resource(desired, live, mode=DiffMode.THREE_WAY), "/spec/replicas", 5, 2
    )

    # Put replicas back, then change the sidecar image as `kubectl set image` would.
    kubectl(
        "patch", "-n", namespace, "deployment/web", "--type=merge", "-p", '{"spec":{"replicas":2}}'
    )
    kubectl("set", "image", "-n", namespace, "deployment/web", "sidecar=registry.example/proxy:9.9")
    live = settled_live(kubectl, namespace)
    assert_out_of_sync(
        diff_resource(desired, live, mode=DiffMode.THREE_WAY),
        "/spec/template/spec/containers/1/image",
        "registry.example/proxy:9.9",
        "registry.example/proxy:3.1",
    )


def test_three_way_ignores_live_only_defaults_and_other_managers_fields(
    kubectl: Kubectl, namespace: str
) -> None:
    """A field Git never set (added by another manager) is not a difference in three-way."""
    desired = desired_manifest(namespace)
    kubectl("apply", "-n", namespace, "-f", str(TESTDATA / "web-minimal.yaml"))
    kubectl("annotate", "-n", namespace, "deployment/web", "team.example/owner=payments")
    live = settled_live(kubectl, namespace)
    assert_synced(diff_resource(desired, live, mode=DiffMode.THREE_WAY))


def test_server_side_diff_with_ssa(kubectl: Kubectl, namespace: str) -> None:
    desired = desired_manifest(namespace)
    kubectl(
        "apply",
        "--server-side",
        f"--field-manager={MANAGER}",
        "-f",
        "-",
        stdin=json.dumps(desired),
    )
    live = settled_live(kubectl, namespace)
    assert LAST_APPLIED not in (live["metadata"].get("annotations") or {})
    assert any(m["manager"] == MANAGER for m in live["metadata"]["managedFields"])

    dry_run = ssa_dry_run(kubectl, desired)
    result = diff_resource(desired, live, mode=DiffMode.SERVER_SIDE, dry_run=dry_run)
    assert result.mode is DiffMode.SERVER_SIDE
    assert_synced(result)

    # `kubectl scale` takes spec.replicas over from kapstan's manager.
    kubectl("scale", "-n", namespace, "deployment/web", "--replicas=4")
    live = settled_live(kubectl, namespace)
    owners = {m["manager"] for m in live["metadata"]["managedFields"]}
    assert "kubectl" in owners or "kubectl-scale" in owners, owners
    result = diff_resource(
        desired, live, mode=DiffMode.SERVER_SIDE, dry_run=ssa_dry_run(kubectl, desired)
    )
    assert result.mode is DiffMode.SERVER_SIDE
    assert_out_of_sync(result, "/spec/replicas", 4, 2)

    # Back in sync, then an image edit through an Update (kubectl set image).
    kubectl("scale", "-n", namespace, "deployment/web", "--replicas=2")
    kubectl("set", "image", "-n", namespace, "deployment/web", "web=registry.example/web:2.0")
    live = settled_live(kubectl, namespace)
    result = diff_resource(
        desired, live, mode=DiffMode.SERVER_SIDE, dry_run=ssa_dry_run(kubectl, desired)
    )
    assert_out_of_sync(
        result,
        "/spec/template/spec/containers/0/image",
        "registry.example/web:2.0",
        "registry.example/web:1.0",
    )


def test_server_side_diff_of_a_client_side_applied_object(kubectl: Kubectl, namespace: str) -> None:
    """Switching an app to server-side diff: the CSA-applied object is still Synced."""
    desired = desired_manifest(namespace)
    kubectl("apply", "-n", namespace, "-f", str(TESTDATA / "web-minimal.yaml"))
    live = settled_live(kubectl, namespace)
    result = diff_resource(
        desired, live, mode=DiffMode.SERVER_SIDE, dry_run=ssa_dry_run(kubectl, desired)
    )
    assert_synced(result)
