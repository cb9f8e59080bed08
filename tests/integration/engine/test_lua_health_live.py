"""A user's Lua health check for a custom resource, end to end on a real apiserver.

The CRD, the object and the argocd-cm ConfigMap all go through the cluster; the status is
written through the status subresource, the way a controller would, and every verdict
comes from the object as read back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kapstan.engine.health import HealthConfig, assess, has_health_check
from kapstan.localcluster.kubectl import Kubectl
from kapstan.model.health import HealthStatus, ResourceHealth

pytestmark = pytest.mark.cluster
TESTDATA = Path(__file__).parent / "testdata"


@pytest.fixture
def widget_crd(kubectl: Kubectl) -> Iterator[None]:
    kubectl("apply", "-f", str(TESTDATA / "widget-crd.yaml"))
    kubectl("wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=60s")
    yield
    kubectl("delete", "crd", "widgets.example.com", "--wait=false")


def set_status(kubectl: Kubectl, namespace: str, status: dict[str, Any]) -> None:
    kubectl(
        "patch",
        "-n",
        namespace,
        "widget/gear",
        "--subresource=status",
        "--type=merge",
        "-p",
        json.dumps({"status": status}),
    )


def read_widget(kubectl: Kubectl, namespace: str) -> dict[str, Any]:
    obj: dict[str, Any] = kubectl.get_json("widget", "gear", "-n", namespace)
    return obj


@pytest.mark.usefixtures("widget_crd")
def test_widget_health_follows_status(kubectl: Kubectl, namespace: str) -> None:
    kubectl("apply", "-n", namespace, "-f", str(TESTDATA / "argocd-cm-widget-health.yaml"))
    cm_data = kubectl.get_json("configmap", "argocd-cm", "-n", namespace)["data"]
    config = HealthConfig.from_argocd_cm(cm_data)
    assert has_health_check("example.com", "Widget", config)
    assert not has_health_check("example.com", "Widget")

    kubectl("apply", "-n", namespace, "-f", str(TESTDATA / "widget.yaml"))
    widget = read_widget(kubectl, namespace)
    assert "status" not in widget
    # Without the user's check a custom kind has no health at all, as in Argo CD.
    assert assess(widget) is None
    assert assess(widget, config) == ResourceHealth(
        HealthStatus.PROGRESSING, "Waiting for the widget controller"
    )

    set_status(kubectl, namespace, {"phase": "Provisioning", "observedGeneration": 1})
    widget = read_widget(kubectl, namespace)
    assert widget["status"]["phase"] == "Provisioning"
    assert assess(widget, config) == ResourceHealth(HealthStatus.PROGRESSING, "Phase Provisioning")

    set_status(kubectl, namespace, {"phase": "Ready", "readyGears": 3})
    widget = read_widget(kubectl, namespace)
    assert assess(widget, config) == ResourceHealth(HealthStatus.HEALTHY, "3 gears turning")

    # A spec change bumps metadata.generation; the status is stale until observed again.
    kubectl("patch", "-n", namespace, "widget/gear", "--type=merge", "-p", '{"spec":{"size":5}}')
    widget = read_widget(kubectl, namespace)
    assert widget["metadata"]["generation"] == 2
    assert assess(widget, config) == ResourceHealth(
        HealthStatus.PROGRESSING, "Waiting for spec generation 2"
    )

    set_status(
        kubectl, namespace, {"phase": "Failed", "reason": "gear 4 jammed", "observedGeneration": 2}
    )
    widget = read_widget(kubectl, namespace)
    assert assess(widget, config) == ResourceHealth(HealthStatus.DEGRADED, "gear 4 jammed")

    # Deleting with a finalizer leaves the object terminating: Progressing, whatever Lua says.
    kubectl(
        "patch",
        "-n",
        namespace,
        "widget/gear",
        "--type=merge",
        "-p",
        '{"metadata":{"finalizers":["example.com/hold"]}}',
    )
    kubectl("delete", "-n", namespace, "widget/gear", "--wait=false")
    widget = read_widget(kubectl, namespace)
    assert "deletionTimestamp" in widget["metadata"]
    assert assess(widget, config) == ResourceHealth(HealthStatus.PROGRESSING, "Pending deletion")
    kubectl(
        "patch",
        "-n",
        namespace,
        "widget/gear",
        "--type=merge",
        "-p",
        '{"metadata":{"finalizers":null}}',
    )
