"""The local control plane behaves like a real cluster: controllers, scheduler and kwok work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kapstan.localcluster import LocalCluster
from kapstan.localcluster.kubectl import Kubectl
from kapstan.localcluster.process import CommandError
from kapstan.testing.waiting import wait_for

pytestmark = pytest.mark.cluster
TESTDATA = Path(__file__).parent / "testdata"


def deployment_status(kubectl: Kubectl, ns: str, name: str) -> dict[str, Any]:
    obj = kubectl.get_json("deployment", name, "-n", ns)
    conditions = {c["type"]: c["status"] for c in obj["status"].get("conditions", [])}
    return {
        "ready": obj["status"].get("readyReplicas", 0),
        "updated": obj["status"].get("updatedReplicas", 0),
        "available": conditions.get("Available"),
        "observed": obj["status"].get("observedGeneration") == obj["metadata"]["generation"],
    }


def test_deployment_becomes_available_and_scales(kubectl: Kubectl, namespace: str) -> None:
    kubectl("apply", "-n", namespace, "-f", str(TESTDATA / "web-deployment.yaml"))
    wait_for(
        "3 ready replicas",
        lambda: (
            deployment_status(kubectl, namespace, "web")
            == {"ready": 3, "updated": 3, "available": "True", "observed": True}
        ),
    )
    pods = kubectl.get_json("pods", "-n", namespace, "-l", "app=web")["items"]
    assert len(pods) == 3
    assert {p["status"]["phase"] for p in pods} == {"Running"}
    assert all(p["spec"]["nodeName"].startswith("kwok-node-") for p in pods)

    kubectl("scale", "-n", namespace, "deployment/web", "--replicas=5")
    wait_for(
        "5 ready replicas after scaling",
        lambda: (
            deployment_status(kubectl, namespace, "web")
            == {"ready": 5, "updated": 5, "available": "True", "observed": True}
        ),
    )


def test_rolling_update_replaces_every_pod(kubectl: Kubectl, namespace: str) -> None:
    kubectl("apply", "-n", namespace, "-f", str(TESTDATA / "web-deployment.yaml"))
    wait_for("rollout", lambda: deployment_status(kubectl, namespace, "web")["ready"] == 3)
    kubectl("set", "image", "-n", namespace, "deployment/web", "web=registry.example/web:2.0")
    out = kubectl("rollout", "status", "-n", namespace, "deployment/web", "--timeout=60s")
    assert "successfully rolled out" in out
    images = {
        p["spec"]["containers"][0]["image"]
        for p in kubectl.get_json("pods", "-n", namespace, "-l", "app=web")["items"]
        if "deletionTimestamp" not in p["metadata"]
    }
    assert images == {"registry.example/web:2.0"}


def test_job_completes(kubectl: Kubectl, namespace: str) -> None:
    kubectl("apply", "-n", namespace, "-f", str(TESTDATA / "migrate-job.yaml"))
    job = wait_for(
        "job completion",
        lambda: (
            (j := kubectl.get_json("job", "migrate", "-n", namespace))["status"].get("succeeded")
            and j
        ),
    )
    conditions = {c["type"]: c["status"] for c in job["status"]["conditions"]}
    assert conditions.get("Complete") == "True"


def test_namespace_deletion_finishes(cluster: LocalCluster, kubectl: Kubectl) -> None:
    kubectl("create", "namespace", "doomed")
    kubectl("apply", "-n", "doomed", "-f", str(TESTDATA / "web-deployment.yaml"))
    wait_for("rollout", lambda: deployment_status(kubectl, "doomed", "web")["ready"] == 3)
    kubectl("delete", "namespace", "doomed", "--wait=false")

    def gone() -> bool:
        return "doomed" not in {
            n["metadata"]["name"] for n in kubectl.get_json("namespaces")["items"]
        }

    wait_for("namespace finalization", gone, timeout=90)


def test_server_side_apply_records_field_manager(kubectl: Kubectl, namespace: str) -> None:
    kubectl(
        "apply", "--server-side", "--field-manager=kapstan-test", "-n", namespace,
        "-f", str(TESTDATA / "settings-configmap.yaml"),
    )  # fmt: skip
    cm = kubectl.get_json("configmap", "settings", "-n", namespace, "--show-managed-fields")
    managers = {(m["manager"], m["operation"]) for m in cm["metadata"]["managedFields"]}
    assert ("kapstan-test", "Apply") in managers
    owned = next(m for m in cm["metadata"]["managedFields"] if m["manager"] == "kapstan-test")
    assert "f:mode" in owned["fieldsV1"]["f:data"]

    # A second manager that changes the same field conflicts unless it forces.
    changed = (TESTDATA / "settings-configmap.yaml").read_text().replace("blue", "green")
    with pytest.raises(CommandError) as conflict:
        kubectl("apply", "--server-side", "--field-manager=intruder", "-n", namespace, "-f", "-",
                stdin=changed)  # fmt: skip
    assert 'conflict with "kapstan-test"' in conflict.value.output
    kubectl("apply", "--server-side", "--force-conflicts", "--field-manager=intruder",
            "-n", namespace, "-f", "-", stdin=changed)  # fmt: skip
    cm = kubectl.get_json("configmap", "settings", "-n", namespace, "--show-managed-fields")
    assert cm["data"]["mode"] == "green"
    assert {m["manager"] for m in cm["metadata"]["managedFields"]} >= {"intruder"}


def test_server_reports_pinned_version(cluster: LocalCluster) -> None:
    pinned = next(s.version for s in cluster.toolchain.specs if s.name == "kubernetes")
    assert cluster.request("GET", "/version")["gitVersion"] == pinned
