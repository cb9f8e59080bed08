"""Built-in rule for Argo Workflows' ``argoproj.io/Workflow`` (gitops-engine health_argo.go)."""

from __future__ import annotations

from kapstan.engine.health._fields import Obj, string
from kapstan.engine.health._typed import STRING, Scalar, Struct, require, struct
from kapstan.model.health import HealthStatus, ResourceHealth

# The Go rule decodes only status.phase and status.message, whatever the API version.
_WORKFLOW = Struct(
    (("status", struct(("phase", Scalar("health.nodePhase", "string")), ("message", STRING))),)
)

_PHASES = {
    "": HealthStatus.PROGRESSING,
    "Pending": HealthStatus.PROGRESSING,
    "Running": HealthStatus.PROGRESSING,
    "Succeeded": HealthStatus.HEALTHY,
    "Failed": HealthStatus.DEGRADED,
    "Error": HealthStatus.DEGRADED,
}


def workflow(obj: Obj) -> ResourceHealth:
    """Mirror of ``getArgoWorkflowHealth``: the phase decides, the message is passed on."""
    require(obj, _WORKFLOW, "failed to convert unstructured to argoworkflow")
    phase = string(obj, "status", "phase")
    return ResourceHealth(
        _PHASES.get(phase, HealthStatus.UNKNOWN), string(obj, "status", "message")
    )
