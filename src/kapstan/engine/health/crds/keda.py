"""KEDA ``ScaledObject`` and ``ScaledJob`` (``keda.sh``).

``Ready`` is True once KEDA validated the scale target and its triggers and False when
that check failed. ``Active`` tells whether a trigger currently asks for scaling (not a
health signal: an idle scaler is fine). ``Fallback`` True means the scaler is failing and
KEDA applies the fallback replica count. ``Paused`` (or the ``autoscaling.keda.sh/paused``
and ``paused-replicas`` annotations) stops autoscaling on purpose.
"""

from __future__ import annotations

from kapstan.engine.health._fields import Obj, condition, describe, is_true, string
from kapstan.engine.health.crds._common import (
    annotation,
    degraded,
    healthy,
    progressing,
    suspended,
)
from kapstan.model.health import ResourceHealth

_PAUSED = "autoscaling.keda.sh/paused"
_PAUSED_REPLICAS = "autoscaling.keda.sh/paused-replicas"


def scaled(obj: Obj) -> ResourceHealth:
    """Health of a ScaledObject or ScaledJob."""
    paused = condition(obj, "Paused")
    if is_true(paused):
        return suspended(string(paused, "message") or "Autoscaling is paused")
    if annotation(obj, _PAUSED) == "true" or annotation(obj, _PAUSED_REPLICAS) is not None:
        return suspended("Autoscaling is paused")
    ready = condition(obj, "Ready")
    if ready is not None and ready.get("status") == "False":
        return degraded(describe(ready) or "Scaler check failed")
    fallback = condition(obj, "Fallback")
    if is_true(fallback):
        return degraded(describe(fallback) or "Scaler is failing, fallback replicas in use")
    if not is_true(ready):
        return progressing("Waiting for KEDA to check the scaler")
    active = condition(obj, "Active")
    if active is not None and string(active, "message"):
        return healthy(string(active, "message"))
    return healthy(string(ready, "message"))
