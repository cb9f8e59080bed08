"""Built-in rules for the ``apps`` group.

Each function mirrors the gitops-engine rule named in its docstring (verdicts and
messages byte-for-byte, including upstream typos) so Kapstan and Argo CD agree. Like the
Go code, each first converts the object to its typed shape: a mistyped field it reads is
``Unknown`` with the converter's message.
"""

from __future__ import annotations

from collections.abc import Mapping

from kapstan.engine.health._fields import (
    Obj,
    condition,
    generation_observed,
    integer,
    mapping,
    optional_int,
    string,
)
from kapstan.engine.health._typed import (
    BOOL,
    INT32,
    INT64,
    STRING,
    Scalar,
    Slice,
    require,
    struct,
    typed_object,
)
from kapstan.engine.health._typed import (
    condition as typed_condition,
)
from kapstan.model.health import HealthStatus, ResourceHealth

_HEALTHY = ResourceHealth(HealthStatus.HEALTHY)

_DEPLOYMENT = typed_object(
    struct(("replicas", INT32), ("paused", BOOL)),
    struct(
        ("observedGeneration", INT64),
        ("replicas", INT32),
        ("updatedReplicas", INT32),
        ("readyReplicas", INT32),
        ("availableReplicas", INT32),
        ("conditions", Slice(typed_condition("v1.DeploymentConditionType"))),
    ),
)
_STATEFUL_SET = typed_object(
    struct(
        ("replicas", INT32),
        (
            "updateStrategy",
            struct(
                ("type", Scalar("v1.StatefulSetUpdateStrategyType", "string")),
                ("rollingUpdate", struct(("partition", INT32))),
            ),
        ),
    ),
    struct(
        ("observedGeneration", INT64),
        ("replicas", INT32),
        ("readyReplicas", INT32),
        ("currentReplicas", INT32),
        ("updatedReplicas", INT32),
        ("currentRevision", STRING),
        ("updateRevision", STRING),
    ),
)
_DAEMON_SET = typed_object(
    struct(
        ("updateStrategy", struct(("type", Scalar("v1.DaemonSetUpdateStrategyType", "string"))))
    ),
    struct(
        ("desiredNumberScheduled", INT32),
        ("observedGeneration", INT64),
        ("updatedNumberScheduled", INT32),
        ("numberAvailable", INT32),
    ),
)
_REPLICA_SET = typed_object(
    struct(("replicas", INT32)),
    struct(
        ("availableReplicas", INT32),
        ("observedGeneration", INT64),
        ("conditions", Slice(typed_condition("v1.ReplicaSetConditionType"))),
    ),
)


def _progressing(message: str) -> ResourceHealth:
    return ResourceHealth(HealthStatus.PROGRESSING, message)


def deployment(obj: Obj) -> ResourceHealth:
    """Mirror of ``getAppsv1DeploymentHealth`` (health_deployment.go, after kubectl rollout)."""
    require(obj, _DEPLOYMENT, "failed to convert unstructured Deployment to typed")
    if mapping(obj, "spec").get("paused") is True:
        return ResourceHealth(HealthStatus.SUSPENDED, "Deployment is paused")
    if not generation_observed(obj):
        return _progressing(
            "Waiting for rollout to finish: observed deployment generation less than desired"
            " generation"
        )
    cond = condition(obj, "Progressing")
    desired = optional_int(obj, "spec", "replicas")
    updated = integer(obj, "status", "updatedReplicas")
    replicas = integer(obj, "status", "replicas")
    available = integer(obj, "status", "availableReplicas")
    if cond is not None and cond.get("reason") == "ProgressDeadlineExceeded":
        name = string(obj, "metadata", "name")
        return ResourceHealth(
            HealthStatus.DEGRADED, f'Deployment "{name}" exceeded its progress deadline'
        )
    if desired is not None and updated < desired:
        return _progressing(
            f"Waiting for rollout to finish: {updated} out of {desired} new replicas have been"
            " updated..."
        )
    if replicas > updated:
        return _progressing(
            f"Waiting for rollout to finish: {replicas - updated} old replicas are pending"
            " termination..."
        )
    if available < updated:
        return _progressing(
            f"Waiting for rollout to finish: {available} of {updated} updated replicas are"
            " available..."
        )
    return _HEALTHY


def stateful_set(obj: Obj) -> ResourceHealth:
    """Mirror of ``getAppsv1StatefulSetHealth`` (health_statefulset.go)."""
    require(obj, _STATEFUL_SET, "failed to convert unstructured StatefulSet to typed")
    observed = integer(obj, "status", "observedGeneration")
    if observed == 0 or integer(obj, "metadata", "generation") > observed:
        return _progressing("Waiting for statefulset spec update to be observed...")
    desired = optional_int(obj, "spec", "replicas")
    ready = integer(obj, "status", "readyReplicas")
    updated = integer(obj, "status", "updatedReplicas")
    if desired is not None and ready < desired:
        return _progressing(f"Waiting for {desired - ready} pods to be ready...")
    strategy = mapping(obj, "spec", "updateStrategy")
    # Go checks ``RollingUpdate != nil``: the block must be present, even if empty.
    if strategy.get("type") == "RollingUpdate" and isinstance(
        strategy.get("rollingUpdate"), Mapping
    ):
        partition = optional_int(strategy, "rollingUpdate", "partition")
        if desired is not None and partition is not None and updated < desired - partition:
            return _progressing(
                "Waiting for partitioned roll out to finish: "
                f"{updated} out of {desired - partition} new pods have been updated..."
            )
        return ResourceHealth(
            HealthStatus.HEALTHY,
            f"partitioned roll out complete: {updated} new pods have been updated...",
        )
    if strategy.get("type") == "OnDelete":
        return ResourceHealth(HealthStatus.HEALTHY, f"statefulset has {ready} ready pods")
    update_rev = string(obj, "status", "updateRevision")
    current_rev = string(obj, "status", "currentRevision")
    if update_rev != current_rev:
        return _progressing(
            f"waiting for statefulset rolling update to complete {updated} pods at revision"
            f" {update_rev}..."
        )
    current = integer(obj, "status", "currentReplicas")
    return ResourceHealth(
        HealthStatus.HEALTHY,
        f"statefulset rolling update complete {current} pods at revision {current_rev}...",
    )


def daemon_set(obj: Obj) -> ResourceHealth:
    """Mirror of ``getAppsv1DaemonSetHealth`` (health_daemonset.go)."""
    require(obj, _DAEMON_SET, "failed to convert unstructured DaemonSet to typed")
    if not generation_observed(obj):
        return _progressing(
            "Waiting for rollout to finish: observed daemon set generation less than desired"
            " generation"
        )
    name = string(obj, "metadata", "name")
    updated = integer(obj, "status", "updatedNumberScheduled")
    desired = integer(obj, "status", "desiredNumberScheduled")
    available = integer(obj, "status", "numberAvailable")
    if mapping(obj, "spec", "updateStrategy").get("type") == "OnDelete":
        return ResourceHealth(
            HealthStatus.HEALTHY,
            f"daemon set {updated} out of {desired} new pods have been updated",
        )
    if updated < desired:
        return _progressing(
            f'Waiting for daemon set "{name}" rollout to finish: {updated} out of {desired} new'
            " pods have been updated..."
        )
    if available < desired:
        return _progressing(
            f'Waiting for daemon set "{name}" rollout to finish: {available} of {desired} updated'
            " pods are available..."
        )
    return _HEALTHY


def replica_set(obj: Obj) -> ResourceHealth:
    """Mirror of ``getAppsv1ReplicaSetHealth`` (health_replicaset.go)."""
    require(obj, _REPLICA_SET, "failed to convert unstructured ReplicaSet to typed")
    if not generation_observed(obj):
        return _progressing(
            "Waiting for rollout to finish: observed replica set generation less than desired"
            " generation"
        )
    failure = condition(obj, "ReplicaFailure")
    if failure is not None and failure.get("status") == "True":
        message = failure.get("message")
        return ResourceHealth(HealthStatus.DEGRADED, message if isinstance(message, str) else "")
    desired = optional_int(obj, "spec", "replicas")
    available = integer(obj, "status", "availableReplicas")
    if desired is not None and available < desired:
        return _progressing(
            f"Waiting for rollout to finish: {available} out of {desired} new replicas are"
            " available..."
        )
    return _HEALTHY
