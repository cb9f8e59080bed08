"""Verdict helpers shared by the CRD rules (Kapstan's own rules, not Argo CD's scripts).

Most operators follow the Kubernetes API conventions: ``status.observedGeneration`` says
which spec the status describes and a ``Ready`` condition summarises the rest. These
helpers read those conventions tolerantly (any shape, never raising).
"""

from __future__ import annotations

from kapstan.engine.health._fields import Obj, describe, mapping, optional_int, string
from kapstan.model.health import HealthStatus, ResourceHealth


def progressing(message: str) -> ResourceHealth:
    return ResourceHealth(HealthStatus.PROGRESSING, message)


def healthy(message: str = "") -> ResourceHealth:
    return ResourceHealth(HealthStatus.HEALTHY, message)


def degraded(message: str) -> ResourceHealth:
    return ResourceHealth(HealthStatus.DEGRADED, message)


def suspended(message: str) -> ResourceHealth:
    return ResourceHealth(HealthStatus.SUSPENDED, message)


def stale_generation(obj: Obj, observed: int | None = None) -> ResourceHealth | None:
    """Progressing while the controller has not seen the latest spec, else None.

    ``observed`` defaults to ``status.observedGeneration``; a missing value on either
    side is not stale (old controllers never report one).
    """
    generation = optional_int(obj, "metadata", "generation")
    if observed is None:
        observed = optional_int(obj, "status", "observedGeneration")
    if generation is not None and observed is not None and observed < generation:
        return progressing(
            f"Waiting for the controller to observe generation {generation} (seen {observed})"
        )
    return None


def by_ready(cond: Obj | None, waiting: str) -> ResourceHealth:
    """The usual reading of a ``Ready``-style condition.

    True is Healthy (with the condition's message), False is Degraded (the controller
    reports a failure), Unknown or absent is Progressing with ``waiting`` unless the
    condition says more.
    """
    if cond is None:
        return progressing(waiting)
    status = cond.get("status")
    if status == "True":
        return healthy(string(cond, "message") or string(cond, "reason"))
    if status == "False":
        return degraded(describe(cond) or waiting)
    return progressing(describe(cond) or waiting)


def annotation(obj: Obj, key: str) -> object:
    return mapping(obj, "metadata", "annotations").get(key)
