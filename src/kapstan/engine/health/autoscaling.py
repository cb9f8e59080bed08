"""Built-in rule for ``autoscaling/HorizontalPodAutoscaler`` (v1, v2beta1, v2beta2, v2)."""

from __future__ import annotations

from collections.abc import Sequence

from kapstan.engine.health._fields import HealthCheckError, Obj, items, mapping, string
from kapstan.engine.health._gojson import GoJSONError, loads, unmarshal_structs
from kapstan.engine.health._typed import Slice, Struct, condition, require, struct, typed_object
from kapstan.model.health import HealthStatus, ResourceHealth

# autoscaling/v1 has no status.conditions; the controller serialises them here.
V1_CONDITIONS_ANNOTATION = "autoscaling.alpha.kubernetes.io/conditions"
_ANNOTATION_ERROR = "failed to convert conditions annotation to typed"
_FIELDS = ("Type", "Reason", "Message", "Status")

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


def _typed(package: str) -> Struct:
    return typed_object(
        status=struct(
            ("conditions", Slice(condition(f"{package}.HorizontalPodAutoscalerConditionType")))
        )
    )


_V1 = typed_object()
_V2 = {v: _typed(v) for v in ("v2", "v2beta1", "v2beta2")}


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


def _v1_conditions(raw: str) -> list[Obj]:
    """The annotation as Go decodes it into ``[]hpaCondition`` (keys lower-cased here)."""
    try:
        decoded = unmarshal_structs(loads(raw), _FIELDS, "health.hpaCondition")
    except GoJSONError as err:
        raise HealthCheckError(f"{_ANNOTATION_ERROR}: {err}") from err
    return [{name.lower(): value for name, value in cond.items()} for cond in decoded]


def horizontal_pod_autoscaler(obj: Obj) -> ResourceHealth:
    """Mirror of ``getHPAHealth``; a malformed v1 annotation is ``Unknown`` with Go's error."""
    version = string(obj, "apiVersion").rpartition("/")[2]
    prefix = "failed to convert unstructured HPA to typed"
    if version == "v1":
        require(obj, _V1, prefix)
        raw = mapping(obj, "metadata", "annotations").get(V1_CONDITIONS_ANNOTATION)
        if not isinstance(raw, str):
            return _WAITING
        return _check(_v1_conditions(raw))
    schema = _V2.get(version)
    if schema is not None:
        require(obj, schema, prefix)
    return _check(items(obj, "status", "conditions"))
