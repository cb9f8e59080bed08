"""Generic fallback for kinds without a rule, modelled on Flux's kstatus conventions.

Only used when ``HealthConfig.kstatus_fallback`` is on: Argo CD itself reports no health
for such kinds, so the fallback is an opt-in Kapstan extension.
"""

from __future__ import annotations

from kapstan.engine.health._fields import Obj, condition, mapping, optional_int, string
from kapstan.model.health import HealthStatus, ResourceHealth


def assess(obj: Obj) -> ResourceHealth | None:
    """Judge an object by kstatus rules; None when it carries no status to judge by.

    Order (as kstatus): stale observedGeneration, Stalled=True, Reconciling=True, Ready.
    """
    status = mapping(obj, "status")
    if not status:
        return None
    generation = optional_int(obj, "metadata", "generation")
    observed = optional_int(obj, "status", "observedGeneration")
    if generation is not None and observed is not None and observed < generation:
        kind = string(obj, "kind")
        return ResourceHealth(
            HealthStatus.PROGRESSING,
            f"{kind} generation is {generation}, but latest observed generation is {observed}",
        )
    stalled = condition(obj, "Stalled")
    if stalled is not None and stalled.get("status") == "True":
        return ResourceHealth(HealthStatus.DEGRADED, _describe(stalled))
    reconciling = condition(obj, "Reconciling")
    if reconciling is not None and reconciling.get("status") == "True":
        return ResourceHealth(HealthStatus.PROGRESSING, _describe(reconciling))
    ready = condition(obj, "Ready")
    if ready is None:
        # kstatus treats an object without these conditions as Current once observed.
        return ResourceHealth(HealthStatus.HEALTHY)
    if ready.get("status") == "True":
        return ResourceHealth(HealthStatus.HEALTHY, string(ready, "message"))
    # Ready=False without Stalled means the controller is still working (Flux semantics);
    # Ready=Unknown likewise.
    return ResourceHealth(HealthStatus.PROGRESSING, _describe(ready))


def _describe(cond: Obj) -> str:
    message = string(cond, "message")
    reason = string(cond, "reason")
    if reason and message:
        return f"{reason}: {message}"
    return message or reason or f"{string(cond, 'type')} is {string(cond, 'status')}"
