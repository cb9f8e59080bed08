"""Built-in rules for the core (``""``) group: Pod, Service, PersistentVolumeClaim."""

from __future__ import annotations

from kapstan.engine.health._fields import Obj, integer, items, mapping, string
from kapstan.engine.health._typed import (
    BOOL,
    INT32,
    STRING,
    Scalar,
    Slice,
    condition,
    require,
    struct,
    typed_object,
)
from kapstan.model.annotations import HELM_HOOK, HOOK
from kapstan.model.health import HealthStatus, ResourceHealth
from kapstan.model.vocabulary import IGNORE_RESTART_POLICY

# A hook pod keeps its restart-policy semantics even when annotated: failing a
# PreSync hook early on a transient ImagePullBackOff would break the sync.
_HOOK_ANNOTATIONS = (HOOK, HELM_HOOK)


_TERMINATED = struct(("exitCode", INT32), ("reason", STRING), ("message", STRING))
_STATE = struct(
    ("waiting", struct(("reason", STRING), ("message", STRING))),
    ("terminated", _TERMINATED),
)
_CONTAINER_STATUSES = Slice(
    struct(("name", STRING), ("state", _STATE), ("lastState", _STATE), ("ready", BOOL))
)
_POD = typed_object(
    struct(("restartPolicy", Scalar("v1.RestartPolicy", "string"))),
    struct(
        ("phase", Scalar("v1.PodPhase", "string")),
        ("conditions", Slice(condition("v1.PodConditionType"))),
        ("message", STRING),
        ("initContainerStatuses", _CONTAINER_STATUSES),
        ("containerStatuses", _CONTAINER_STATUSES),
    ),
)
_LOAD_BALANCER = struct(("ingress", Slice(struct(("ip", STRING), ("hostname", STRING)))))
_SERVICE = typed_object(
    struct(("type", Scalar("v1.ServiceType", "string"))),
    struct(("loadBalancer", _LOAD_BALANCER)),
)
_PVC = typed_object(status=struct(("phase", Scalar("v1.PersistentVolumeClaimPhase", "string"))))


def _waiting_is_error(reason: str) -> bool:
    # The same name patterns gitops-engine uses (ErrImagePull, CreateContainerConfigError,
    # CrashLoopBackOff, ImagePullBackOff ...).
    return reason.startswith("Err") or reason.endswith(("Error", "BackOff"))


def _fail_message(ctr: Obj) -> str:
    terminated = mapping(ctr, "state", "terminated")
    if not terminated:
        return ""
    if string(terminated, "message"):
        return string(terminated, "message")
    if string(terminated, "reason") == "OOMKilled":
        return "OOMKilled"
    code = integer(terminated, "exitCode")
    if code != 0:
        return f'container "{string(ctr, "name")}" failed with exit code {code}'
    return ""


def _running(obj: Obj, message: str) -> ResourceHealth:
    ready = any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in items(obj, "status", "conditions")
    )
    if ready:
        return ResourceHealth(HealthStatus.HEALTHY, message)
    # Not ready and a container has restarted: it is crashing, not starting.
    for ctr in items(obj, "status", "containerStatuses"):
        if mapping(ctr, "lastState", "terminated"):
            return ResourceHealth(HealthStatus.DEGRADED, message)
    return ResourceHealth(HealthStatus.PROGRESSING, message)


def pod(obj: Obj) -> ResourceHealth:
    """Mirror of ``getCorev1PodHealth`` (health_pod.go) including the ignore-restart-policy rule."""
    require(obj, _POD, "failed to convert unstructured Pod to typed")
    annotations = mapping(obj, "metadata", "annotations")
    is_hook = any(a in annotations for a in _HOOK_ANNOTATIONS)
    acts_always = IGNORE_RESTART_POLICY in annotations and not is_hook
    policy = string(obj, "spec", "restartPolicy")
    message = string(obj, "status", "message")

    if policy == "Always" or acts_always:
        waiting_msgs = [
            string(ctr, "state", "waiting", "message")
            for ctr in items(obj, "status", "containerStatuses")
            if mapping(ctr, "state", "waiting")
            and _waiting_is_error(string(ctr, "state", "waiting", "reason"))
        ]
        if waiting_msgs:
            return ResourceHealth(HealthStatus.DEGRADED, ", ".join(waiting_msgs))

    phase = string(obj, "status", "phase")
    if phase == "Pending":
        return ResourceHealth(HealthStatus.PROGRESSING, message)
    if phase == "Succeeded":
        return ResourceHealth(HealthStatus.HEALTHY, message)
    if phase == "Failed":
        if message:
            return ResourceHealth(HealthStatus.DEGRADED, message)
        statuses = items(obj, "status", "initContainerStatuses") + items(
            obj, "status", "containerStatuses"
        )
        for ctr in statuses:
            if fail := _fail_message(ctr):
                return ResourceHealth(HealthStatus.DEGRADED, fail)
        return ResourceHealth(HealthStatus.DEGRADED)
    if phase == "Running":
        if acts_always or policy == "Always":
            return _running(obj, message)
        if policy in ("OnFailure", "Never"):
            # Finite-life pods are usually hooks: running is progress, not health.
            return ResourceHealth(HealthStatus.PROGRESSING, message)
    return ResourceHealth(HealthStatus.UNKNOWN, message)


def service(obj: Obj) -> ResourceHealth:
    """Mirror of ``getCorev1ServiceHealth``: only a LoadBalancer waits for an address."""
    require(obj, _SERVICE, "failed to convert unstructured Service to typed")
    if string(obj, "spec", "type") == "LoadBalancer" and not items(
        obj, "status", "loadBalancer", "ingress"
    ):
        return ResourceHealth(HealthStatus.PROGRESSING)
    return ResourceHealth(HealthStatus.HEALTHY)


_PVC_PHASES = {
    "Lost": HealthStatus.DEGRADED,
    "Pending": HealthStatus.PROGRESSING,
    "Bound": HealthStatus.HEALTHY,
}


def persistent_volume_claim(obj: Obj) -> ResourceHealth:
    """Mirror of ``getCorev1PVCHealth``: the claim phase decides, anything else is Unknown."""
    require(obj, _PVC, "failed to convert unstructured PersistentVolumeClaim to typed")
    return ResourceHealth(_PVC_PHASES.get(string(obj, "status", "phase"), HealthStatus.UNKNOWN))
