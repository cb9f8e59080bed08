"""Strimzi ``kafka.strimzi.io/Kafka``.

The operator reports ``Ready`` True once the cluster is reconciled, or ``NotReady`` True
while it is not: reason ``Creating`` during the first deployment, otherwise the failure
that stopped reconciliation. ``Warning`` conditions (deprecated settings and the like)
do not change health. The ``strimzi.io/pause-reconciliation`` annotation, acknowledged
by a ``ReconciliationPaused`` condition, stops the operator on purpose.
"""

from __future__ import annotations

from kapstan.engine.health._fields import Obj, condition, describe, is_true, string
from kapstan.engine.health.crds._common import (
    annotation,
    degraded,
    healthy,
    progressing,
    stale_generation,
    suspended,
)
from kapstan.model.health import ResourceHealth


def kafka(obj: Obj) -> ResourceHealth:
    """Health of a Strimzi Kafka cluster."""
    paused = condition(obj, "ReconciliationPaused")
    if is_true(paused) or annotation(obj, "strimzi.io/pause-reconciliation") == "true":
        return suspended("Reconciliation is paused")
    stale = stale_generation(obj)
    if stale is not None:
        return stale
    ready = condition(obj, "Ready")
    if is_true(ready):
        return healthy(string(ready, "message") or "Kafka cluster is ready")
    not_ready = condition(obj, "NotReady")
    if is_true(not_ready):
        if not_ready.get("reason") == "Creating":
            return progressing(string(not_ready, "message") or "Creating the Kafka cluster")
        return degraded(describe(not_ready) or "Kafka cluster is not ready")
    if ready is not None and ready.get("status") == "False":
        return degraded(describe(ready) or "Kafka cluster is not ready")
    return progressing("Waiting for the Strimzi operator")
