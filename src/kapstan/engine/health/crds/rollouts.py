"""Argo Rollouts ``argoproj.io/Rollout``.

The controller summarises a rollout in ``status.phase`` (Healthy, Progressing, Paused,
Degraded) with ``status.message``; the phase is only current when
``status.observedGeneration`` - a string in the Rollout API - equals
``metadata.generation``. An abort (``status.abort``) or an ``InvalidSpec`` condition is a
failure whatever the phase; ``spec.paused`` or a controller pause condition (a canary
pause step, a blue-green promotion wait) is Suspended until someone promotes.
"""

from __future__ import annotations

from kapstan.engine.health._fields import Obj, condition, is_true, items, mapping, string
from kapstan.engine.health.crds._common import degraded, healthy, progressing, suspended
from kapstan.model.health import ResourceHealth


def _observed(obj: Obj) -> int | None:
    value = mapping(obj, "status").get("observedGeneration")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    # Releases before 1.0 stored a spec hash here: not comparable, so never stale.
    return int(value) if isinstance(value, str) and value.isdigit() else None


def rollout(obj: Obj) -> ResourceHealth:
    """Health of an Argo Rollout from its phase, pause and abort state."""
    status = mapping(obj, "status")
    message = string(status, "message")
    generation = mapping(obj, "metadata").get("generation")
    observed = _observed(obj)
    if isinstance(generation, int) and observed is not None and observed < generation:
        return progressing("Waiting for rollout spec update to be observed")
    invalid = condition(obj, "InvalidSpec")
    if is_true(invalid):
        return degraded(string(invalid, "message") or "Rollout spec is invalid")
    if status.get("abort") is True:
        return degraded(message or "Rollout is aborted")
    phase = string(status, "phase")
    if (
        mapping(obj, "spec").get("paused") is True
        or items(obj, "status", "pauseConditions")
        or phase == "Paused"
    ):
        reasons = [string(p, "reason") for p in items(obj, "status", "pauseConditions")]
        return suspended(message or ", ".join(r for r in reasons if r) or "Rollout is paused")
    if phase == "Healthy":
        return healthy(message)
    if phase == "Degraded":
        return degraded(message or "Rollout is degraded")
    if phase == "Progressing":
        return progressing(message or "Rollout is progressing")
    # No phase: a controller older than 1.0, or one that has not reconciled yet.
    progress = condition(obj, "Progressing")
    if progress is not None and progress.get("reason") == "ProgressDeadlineExceeded":
        return degraded(string(progress, "message") or "Rollout exceeded its progress deadline")
    return progressing("Waiting for rollout status")
