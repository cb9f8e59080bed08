"""Built-in rule for ``policy/PodDisruptionBudget``.

Argo CD ships this one as bundled Lua; Kapstan gives the same verdicts and messages
natively (and a user's Lua override still wins). The budget's only condition,
``DisruptionAllowed``, decides: ``False`` means evictions are blocked, which is Degraded,
except for ``InsufficientPods`` - a budget that blocks evictions because it is fully
used (currentHealthy <= desiredHealthy) is doing its job (argo-cd #20171).
"""

from __future__ import annotations

from kapstan.engine.health._fields import Obj, items, mapping, string
from kapstan.model.health import HealthStatus, ResourceHealth


def pod_disruption_budget(obj: Obj) -> ResourceHealth:
    """Verdict of the bundled ``policy/PodDisruptionBudget/health.lua``."""
    metadata = mapping(obj, "metadata")
    if metadata.get("deletionTimestamp") is not None:
        # Only reachable when the hook finalizer lets a terminating object be assessed.
        raw = metadata.get("finalizers")
        finalizers = [f for f in raw if isinstance(f, str)] if isinstance(raw, list) else []
        message = "Pending deletion"
        if finalizers:
            message += "; blocked by finalizers: " + ", ".join(finalizers)
        return ResourceHealth(HealthStatus.PROGRESSING, message)
    verdict = ResourceHealth(HealthStatus.PROGRESSING, "Waiting for status")
    for cond in items(obj, "status", "conditions"):
        reason = string(cond, "reason")
        if cond.get("status") == "False" and reason != "InsufficientPods":
            return ResourceHealth(HealthStatus.DEGRADED, f"PodDisruptionBudget has {reason}")
        verdict = ResourceHealth(HealthStatus.HEALTHY, f"PodDisruptionBudget has {reason}")
    return verdict
