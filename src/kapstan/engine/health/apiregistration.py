"""Built-in rule for ``apiregistration.k8s.io/APIService``."""

from __future__ import annotations

from kapstan.engine.health._fields import Obj, items, string
from kapstan.engine.health._typed import Slice, condition, require, struct, typed_object
from kapstan.model.health import HealthStatus, ResourceHealth

_API_SERVICE = typed_object(
    status=struct(("conditions", Slice(condition("v1.APIServiceConditionType"))))
)


def api_service(obj: Obj) -> ResourceHealth:
    """Mirror of ``getApiregistrationv1APIServiceHealth``: the ``Available`` condition decides."""
    require(obj, _API_SERVICE, "failed to convert unstructured APIService to typed")
    for cond in items(obj, "status", "conditions"):
        if cond.get("type") == "Available":
            message = f"{string(cond, 'reason')}: {string(cond, 'message')}"
            if cond.get("status") == "True":
                return ResourceHealth(HealthStatus.HEALTHY, message)
            return ResourceHealth(HealthStatus.PROGRESSING, message)
    return ResourceHealth(HealthStatus.PROGRESSING, "Waiting to be processed")
