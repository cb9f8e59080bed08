"""Built-in rule for ``autoscaling/HorizontalPodAutoscaler`` (v1, v2beta1, v2beta2, v2)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from kapstan.engine.health._fields import HealthCheckError, Obj, items, mapping, string
from kapstan.model.health import HealthStatus, ResourceHealth

# autoscaling/v1 has no status.conditions; the controller serialises them here.
V1_CONDITIONS_ANNOTATION = "autoscaling.alpha.kubernetes.io/conditions"

_WAITING = ResourceHealth(HealthStatus.PROGRESSING, "Waiting to Autoscale")

# (type, reason) pairs that mean the autoscaler cannot do its job (health_hpa.go isDegraded).
_DEGRADED = frozenset(
    {
        ("AbleToScale", "FailedGetScale"),
        ("AbleToScale", "FailedUpdateScale"),
        ("ScalingActive", "FailedGetResourceMetric"),
        ("ScalingActive", "FailedGetObjectMetric"),
        ("ScalingActive", "FailedGetPodsMetric"),
        ("ScalingActive", "FailedGetExternalMetric"),
        ("ScalingActive", "FailedComputeMetricsReplicas"),
        ("ScalingActive", "InvalidSelector"),
    }
)
_HEALTHY_TYPES = frozenset({"AbleToScale", "ScalingLimited"})


def _check(conditions: Sequence[Obj]) -> ResourceHealth:
    # Degraded wins over any healthy condition regardless of order, so a scaler that can
    # reach its target but cannot read metrics is not reported Healthy.
    for cond in conditions:
        if (string(cond, "type"), string(cond, "reason")) in _DEGRADED:
            return ResourceHealth(HealthStatus.DEGRADED, string(cond, "message"))
    for cond in conditions:
        if string(cond, "type") in _HEALTHY_TYPES and cond.get("status") == "True":
            return ResourceHealth(HealthStatus.HEALTHY, string(cond, "message"))
    return _WAITING


def horizontal_pod_autoscaler(obj: Obj) -> ResourceHealth:
    """Mirror of ``getHPAHealth``; raises :class:`HealthCheckError` on a malformed v1 annotation."""
    if string(obj, "apiVersion") == "autoscaling/v1":
        raw = mapping(obj, "metadata", "annotations").get(V1_CONDITIONS_ANNOTATION)
        if not isinstance(raw, str):
            return _WAITING
        try:
            parsed = json.loads(raw)
        except ValueError as err:
            raise HealthCheckError(
                f"failed to convert conditions annotation to typed: {err}"
            ) from err
        if not isinstance(parsed, list):
            raise HealthCheckError(
                "failed to convert conditions annotation to typed: not a JSON list"
            )
        return _check([c for c in parsed if isinstance(c, Mapping)])
    return _check(items(obj, "status", "conditions"))
