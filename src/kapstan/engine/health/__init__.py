"""Resource and application health assessment (Argo CD / gitops-engine compatible).

Pure functions only: objects in, verdicts out. ``assess`` follows gitops-engine's
``GetResourceHealth`` order: pending deletion, then a custom Lua check, then the
built-in rule, then (opt-in) the kstatus fallback; kinds with none of these have no
health (``None``), exactly as in Argo CD. Neither ``assess`` nor ``aggregate`` raises,
whatever the object holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kapstan.engine.health import (
    apiregistration,
    apps,
    argo,
    autoscaling,
    batch,
    core,
    crds,
    kstatus,
    policy,
)
from kapstan.engine.health._deletion import pending_deletion
from kapstan.engine.health._fields import HealthCheckError, mapping, string
from kapstan.engine.health.config import (
    CustomHealthCheck,
    HealthConfig,
    HealthConfigError,
    override_key,
)
from kapstan.engine.health.lua import Abstain, run_health_script
from kapstan.engine.health.networking import ingress
from kapstan.model.health import HealthStatus, ResourceHealth, worst
from kapstan.model.vocabulary import HOOK_FINALIZER, IGNORE_HEALTHCHECK

Rule = Callable[[Mapping[str, Any]], ResourceHealth]

# gitops-engine GetHealthCheckFunc, keyed by (group, kind); versions are not checked.
_BUILTIN: dict[tuple[str, str], Rule] = {
    ("apps", "Deployment"): apps.deployment,
    ("apps", "StatefulSet"): apps.stateful_set,
    ("apps", "ReplicaSet"): apps.replica_set,
    ("apps", "DaemonSet"): apps.daemon_set,
    ("extensions", "Ingress"): ingress,
    ("networking.k8s.io", "Ingress"): ingress,
    ("apiregistration.k8s.io", "APIService"): apiregistration.api_service,
    ("", "Service"): core.service,
    ("", "PersistentVolumeClaim"): core.persistent_volume_claim,
    ("", "Pod"): core.pod,
    ("batch", "Job"): batch.job,
    ("autoscaling", "HorizontalPodAutoscaler"): autoscaling.horizontal_pod_autoscaler,
    ("argoproj.io", "Workflow"): argo.workflow,
    # Argo CD ships these as bundled Lua; they are native here but still overridable.
    ("batch", "CronJob"): batch.cron_job,
    ("policy", "PodDisruptionBudget"): policy.pod_disruption_budget,
    # Kapstan's own rules for popular CRDs (Argo CD bundles Lua for most of them).
    **crds.RULES,
}

DEFAULT_CONFIG = HealthConfig()
_PENDING_DELETION = ResourceHealth(HealthStatus.PROGRESSING, "Pending deletion")
_SURROGATES = {cp: "\ufffd" for cp in range(0xD800, 0xE000)}


def group_kind(obj: Mapping[str, Any]) -> tuple[str, str]:
    """``(group, kind)`` from ``apiVersion``/``kind``; the core group is ``""``.

    As Go's ``ParseGroupVersion``: an apiVersion with more than one ``/`` is invalid and
    yields the empty group and kind, which no rule matches.
    """
    api_version = string(obj, "apiVersion")
    if api_version.count("/") > 1:
        return "", ""
    return api_version.rpartition("/")[0], string(obj, "kind")


def has_health_check(group: str, kind: str, config: HealthConfig = DEFAULT_CONFIG) -> bool:
    """Whether a built-in rule or custom check exists (kstatus fallback not counted).

    Crossplane XRs and claims are recognised by their shape, not their kind, so only
    Crossplane provider groups count here.
    """
    return (
        (group, kind) in _BUILTIN
        or crds.kind_has_rule(group)
        or config.custom_check_for(group, kind) is not None
    )


def _builtin(obj: Mapping[str, Any], group: str, kind: str) -> ResourceHealth | None:
    rule = _BUILTIN.get((group, kind)) or crds.shape_rule(obj, group)
    if rule is None:
        return None
    try:
        return rule(obj)
    except HealthCheckError as err:
        return ResourceHealth(HealthStatus.UNKNOWN, str(err))


def _assess(obj: Mapping[str, Any], config: HealthConfig) -> ResourceHealth | None:
    if pending_deletion(obj):
        return _PENDING_DELETION
    group, kind = group_kind(obj)
    custom = config.custom_check_for(group, kind)
    if custom is not None:
        verdict = run_health_script(
            custom.script,
            obj,
            use_open_libs=custom.use_open_libs,
            instruction_limit=config.lua_instruction_limit,
        )
        if verdict is Abstain.EMPTY:
            return None
        if isinstance(verdict, ResourceHealth):
            return verdict
        # Abstain.DECLINED (the script returned nil): on to the built-in rule.
    builtin = _builtin(obj, group, kind)
    if builtin is not None:
        return builtin
    if config.kstatus_fallback and group not in crds.NO_HEALTH_GROUPS:
        return kstatus.assess(obj)
    return None


def _clean(text: str) -> str:
    # Messages quote object text; a lone surrogate there would break every JSON encoder
    # downstream, so it becomes U+FFFD as Go's encoder would write it.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.translate(_SURROGATES)
    return text


def assess(obj: Mapping[str, Any], config: HealthConfig = DEFAULT_CONFIG) -> ResourceHealth | None:
    """Health of one live object, or None when nothing knows how to judge its kind.

    Order (gitops-engine ``GetResourceHealth``): pending deletion (unless the hook
    finalizer holds the object), the user's Lua check, the built-in rule (by kind, then
    by shape for Crossplane), then the kstatus fallback when enabled. A Lua script that
    returns nil defers to the later steps; one whose result Argo CD reads as an empty
    status gives no health. Never raises, and the message is always valid Unicode.
    """
    verdict = _assess(obj, config)
    if verdict is None:
        return None
    return ResourceHealth(verdict.status, _clean(verdict.message))


@dataclass(frozen=True, slots=True)
class ManagedResource:
    """One resource of an application: its desired (``target``) and ``live`` manifests."""

    target: Mapping[str, Any] | None
    live: Mapping[str, Any] | None


def _ignored(res: ManagedResource) -> bool:
    for manifest in (res.target, res.live):
        if manifest is not None:
            annotations = mapping(manifest, "metadata", "annotations")
            if annotations.get(IGNORE_HEALTHCHECK) == "true":
                return True
    return False


def aggregate(
    resources: Iterable[ManagedResource], config: HealthConfig = DEFAULT_CONFIG
) -> ResourceHealth:
    """Application health from its direct managed resources (Argo CD controller/health.go).

    Resources annotated ``argocd.argoproj.io/ignore-healthcheck: "true"`` are skipped; a
    missing live object does not lower app health (OutOfSync already reports it), but an
    app whose resources are all missing is ``Missing``; a child Application that is Missing
    or Unknown is ignored. The message names the resources holding the worst status.
    Never raises.
    """
    verdicts: list[tuple[Mapping[str, Any], ResourceHealth]] = []
    considered = live_count = 0
    for res in resources:
        if _ignored(res):
            continue
        considered += 1
        if res.live is None:
            continue
        live_count += 1
        health = assess(res.live, config)
        if health is None:
            continue
        if group_kind(res.live) == ("argoproj.io", "Application") and health.status in (
            HealthStatus.MISSING,
            HealthStatus.UNKNOWN,
        ):
            continue
        verdicts.append((res.live, health))
    if considered and not live_count:
        return ResourceHealth(HealthStatus.MISSING)
    status = worst(h.status for _, h in verdicts)
    if status is HealthStatus.HEALTHY:
        return ResourceHealth(status)
    causes = [
        f"{string(obj, 'kind')}/{string(obj, 'metadata', 'name')}"
        + (f": {h.message}" if h.message else "")
        for obj, h in verdicts
        if h.status is status
    ]
    return ResourceHealth(status, _clean("; ".join(causes)))


__all__ = [
    "DEFAULT_CONFIG",
    "HOOK_FINALIZER",
    "IGNORE_HEALTHCHECK",
    "CustomHealthCheck",
    "HealthConfig",
    "HealthConfigError",
    "ManagedResource",
    "aggregate",
    "assess",
    "group_kind",
    "has_health_check",
    "override_key",
]
