"""The outcome of a running hook, from its live object (gitops-engine's hook completion rule).

A Pod hook is done when its phase is ``Succeeded`` or ``Failed``; any other kind is done when
its health is ``Healthy`` (Job complete, Workflow succeeded) or it has no health at all (a
ConfigMap hook completes once created), and failed when ``Degraded``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kapstan.engine.health import DEFAULT_CONFIG, HealthConfig, assess
from kapstan.engine.sync.operation import HookOutcome
from kapstan.model.health import HealthStatus


def hook_outcome(
    live: Mapping[str, Any], config: HealthConfig = DEFAULT_CONFIG
) -> tuple[HookOutcome, str]:
    """``(outcome, message)`` of the hook whose live object is ``live``."""
    if live.get("kind") == "Pod" and "/" not in str(live.get("apiVersion")):
        phase = str((live.get("status") or {}).get("phase") or "")
        if phase == "Succeeded":
            return HookOutcome.SUCCEEDED, "pod succeeded"
        if phase == "Failed":
            return HookOutcome.FAILED, "pod failed"
        return HookOutcome.RUNNING, phase
    health = assess(live, config)
    if health is None or health.status is HealthStatus.HEALTHY:
        return HookOutcome.SUCCEEDED, health.message if health else ""
    if health.status is HealthStatus.DEGRADED:
        return HookOutcome.FAILED, health.message
    return HookOutcome.RUNNING, health.message


__all__ = ["hook_outcome"]
