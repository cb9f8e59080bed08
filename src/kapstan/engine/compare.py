"""Compare an Application's target state with its live objects into Argo CD's ``status``.

:func:`compute_status` is pure: it only reports (sync and health status, resources, summary,
conditions) and never decides to apply or prune anything. When the target state could not be
loaded, the application and every live resource are ``Unknown``, nothing is marked for
pruning, and a ``ComparisonError`` condition carries the error.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from kapstan.engine.conditions import condition, rfc3339
from kapstan.engine.diff import ResourceDiff, app_sync_status, diff_resource
from kapstan.engine.health import DEFAULT_CONFIG, HealthConfig, ManagedResource, aggregate, assess
from kapstan.engine.ignore import IgnoreRule
from kapstan.engine.mode import DiffMode
from kapstan.engine.normalize import STATUS_ALL
from kapstan.engine.pairing import NamespacedLookup, ResourcePair, pair_resources, with_namespace
from kapstan.engine.summary import summarize
from kapstan.engine.tracking import ANNOTATION_TRACKING, Tracking
from kapstan.model.annotations import AnnotationError, is_hook, is_skip, sync_wave
from kapstan.model.conditions import ConditionType
from kapstan.model.health import HealthStatus
from kapstan.model.keys import ResourceKey
from kapstan.model.status import SyncStatusCode


class TargetState(Protocol):
    """Generated manifests: the objects of every source, and per source its revision and
    source type (what the manifest generator returns)."""

    @property
    def objects(self) -> list[dict[str, Any]]: ...

    @property
    def revisions(self) -> tuple[str, ...]: ...

    @property
    def source_types(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class CompareSettings:
    """How resources are compared: tracking method, health customizations, the ignore rules
    (argocd-cm's system rules followed by the app's ``spec.ignoreDifferences``), whether
    server-side dry-run results take mutating-webhook changes into account."""

    tracking: Tracking = ANNOTATION_TRACKING
    health: HealthConfig = DEFAULT_CONFIG
    ignore_rules: tuple[IgnoreRule, ...] = ()
    include_webhook: bool = False
    status_field: str = STATUS_ALL  # resource.compareoptions ignoreResourceStatusField


DEFAULT_SETTINGS = CompareSettings()


def _version(obj: Mapping[str, Any] | None) -> str:
    api_version = str((obj or {}).get("apiVersion") or "")
    return api_version.rpartition("/")[2]


def _wave(obj: Mapping[str, Any] | None) -> int:
    try:
        return sync_wave(obj)
    except AnnotationError:
        return 0


def _health_dict(obj: Mapping[str, Any] | None, config: HealthConfig) -> dict[str, str] | None:
    if obj is None:
        return {"status": HealthStatus.MISSING.value}
    verdict = assess(obj, config)
    if verdict is None:
        return None
    out = {"status": verdict.status.value}
    if verdict.message:
        out["message"] = verdict.message
    return out


def resource_entry(
    key: ResourceKey,
    desired: Mapping[str, Any] | None,
    live: Mapping[str, Any] | None,
    status: SyncStatusCode | None,
    *,
    hook: bool,
    requires_pruning: bool,
    config: HealthConfig,
) -> dict[str, Any]:
    """One ``ResourceStatus``; empty fields are omitted as Argo CD's ``omitempty`` does."""
    entry: dict[str, Any] = {}
    if key.group:
        entry["group"] = key.group
    entry["version"] = _version(desired if desired is not None else live)
    entry["kind"] = key.kind
    if key.namespace:
        entry["namespace"] = key.namespace
    entry["name"] = key.name
    if status is not None:
        entry["status"] = status.value
    health = _health_dict(live, config) if not (hook and live is None) else None
    if health is not None:
        entry["health"] = health
    if hook:
        entry["hook"] = True
    if requires_pruning:
        entry["requiresPruning"] = True
    wave = _wave(desired if desired is not None else live)
    if wave:
        entry["syncWave"] = wave
    return entry


def _sort_key(entry: Mapping[str, Any]) -> tuple[str, str, str, str]:
    return (
        str(entry.get("group", "")),
        str(entry["kind"]),
        str(entry.get("namespace", "")),
        str(entry["name"]),
    )


def compared_to(spec: Mapping[str, Any]) -> dict[str, Any]:
    """``status.sync.comparedTo``: the sources, destination and ignore rules compared."""
    compared: dict[str, Any] = {}
    if spec.get("sources"):
        compared["sources"] = list(spec["sources"])
    else:
        compared["source"] = dict(spec.get("source") or {})
    compared["destination"] = dict(spec.get("destination") or {})
    if spec.get("ignoreDifferences"):
        compared["ignoreDifferences"] = list(spec["ignoreDifferences"])
    return compared


_Compared = tuple[list[dict[str, Any]], list[ManagedResource], SyncStatusCode]


def _unknown(tracked: Sequence[Mapping[str, Any]], config: HealthConfig) -> _Compared:
    """Target state unknown: every live resource is Unknown and none requires pruning."""
    resources: list[dict[str, Any]] = []
    managed: list[ManagedResource] = []
    for obj in tracked:
        hook = is_hook(obj)
        status = None if hook else SyncStatusCode.UNKNOWN
        key = ResourceKey.from_obj(obj)
        resources.append(
            resource_entry(key, None, obj, status, hook=hook, requires_pruning=False, config=config)
        )
        if not hook:
            managed.append(ManagedResource(target=None, live=obj))
    return resources, managed, SyncStatusCode.UNKNOWN


def _compare(
    name: str,
    pairs: Sequence[ResourcePair],
    settings: CompareSettings,
    dry_runs: Mapping[ResourceKey, Mapping[str, Any]],
    diffs_out: dict[ResourceKey, ResourceDiff] | None,
) -> _Compared:
    config = settings.health
    resources: list[dict[str, Any]] = []
    managed: list[ManagedResource] = []
    diffs: list[ResourceDiff] = []
    for pair in pairs:
        if is_hook(pair.desired) or (pair.desired is None and is_hook(pair.live)):
            resources.append(
                resource_entry(
                    pair.key,
                    pair.desired,
                    pair.live,
                    None,
                    hook=True,
                    requires_pruning=False,
                    config=config,
                )
            )
            continue
        dry_run = dry_runs.get(pair.key)
        result = diff_resource(
            settings.tracking.stamp(name, pair.desired) if pair.desired is not None else None,
            pair.live,
            mode=DiffMode.SERVER_SIDE if dry_run is not None else DiffMode.THREE_WAY,
            ignore_rules=settings.ignore_rules,
            dry_run=dry_run,
            include_webhook=settings.include_webhook,
            status=settings.status_field,
        )
        diffs.append(result)
        if diffs_out is not None:
            diffs_out[pair.key] = result
        code = result.sync_status
        if pair.live is None or result.requires_pruning:
            code = SyncStatusCode.OUT_OF_SYNC
        resources.append(
            resource_entry(
                pair.key,
                pair.desired,
                pair.live,
                code,
                hook=False,
                requires_pruning=result.requires_pruning,
                config=config,
            )
        )
        managed.append(ManagedResource(target=pair.desired, live=pair.live))
    return resources, managed, app_sync_status(diffs)


Allows = Callable[[str, str], bool]  # (group, kind) -> not excluded by resource.exclusions


def exclude(
    objects: Sequence[Mapping[str, Any]], allows: Allows | None
) -> tuple[list[Mapping[str, Any]], list[str]]:
    """Drop the objects of kinds the settings exclude (argocd-cm ``resource.exclusions`` /
    ``inclusions``): they are neither compared nor synced. Returns the kept objects and one
    Argo CD ``ExcludedResourceWarning`` message per dropped object."""
    if allows is None:
        return list(objects), []
    kept: list[Mapping[str, Any]] = []
    messages: list[str] = []
    for obj in objects:
        key = ResourceKey.from_obj(obj)
        if allows(key.group, key.kind):
            kept.append(obj)
        else:
            messages.append(
                f"Resource {key.group}/{key.kind} {key.name} is excluded in the settings"
            )
    return kept, messages


def compute_status(
    app: Mapping[str, Any],
    target: TargetState | None,
    error: BaseException | str | None,
    live: Sequence[Mapping[str, Any]],
    *,
    now: datetime,
    is_namespaced: NamespacedLookup,
    settings: CompareSettings = DEFAULT_SETTINGS,
    dry_runs: Mapping[ResourceKey, Mapping[str, Any]] | None = None,
    instance: str | None = None,
    diffs_out: dict[ResourceKey, ResourceDiff] | None = None,
    allows: Allows | None = None,
) -> dict[str, Any]:
    """The Argo CD ``status`` of ``app`` (everything but operationState and history).

    Desired objects of kinds ``allows`` refuses are left out with an ``ExcludedResourceWarning``
    (:func:`exclude`).

    ``live`` may hold any objects: only the app's top-level resources (``instance``, default
    ``metadata.name``, under ``settings.tracking``) take part. ``dry_runs`` maps resources
    to server-side-apply dry-run results: those are compared in server-side mode, the rest
    three-way. ``diffs_out``, when given, receives the diff of every compared (non-hook)
    resource. With ``error`` set (or no ``target``) the target state is unknown (see the
    module contract).
    """
    spec = app.get("spec") or {}
    name = instance or str((app.get("metadata") or {}).get("name") or "")
    multi = bool(spec.get("sources"))
    stamp = rfc3339(now)
    tracked = [obj for obj in live if settings.tracking.is_managed(name, obj)]
    sync: dict[str, Any] = {"comparedTo": compared_to(spec)}
    conditions: list[dict[str, str]] = []
    out: dict[str, Any] = {}

    if error is not None or target is None:
        message = str(error) if error is not None else "manifests were not generated"
        conditions.append(
            condition(
                ConditionType.COMPARISON_ERROR, f"Failed to load target state: {message}", stamp
            )
        )
        resources, managed, code = _unknown(tracked, settings.health)
    else:
        dest_ns = str((spec.get("destination") or {}).get("namespace") or "")
        desired, excluded = exclude([obj for obj in target.objects if not is_skip(obj)], allows)
        conditions.extend(
            condition(ConditionType.EXCLUDED_RESOURCE_WARNING, m, stamp) for m in excluded
        )
        pairing = pair_resources(
            desired, tracked, destination_namespace=dest_ns, is_namespaced=is_namespaced
        )
        resources, managed, code = _compare(
            name, pairing.pairs, settings, dry_runs or {}, diffs_out
        )
        if multi:
            sync["revisions"] = list(target.revisions)
            out["sourceTypes"] = list(target.source_types)
        elif target.revisions:
            sync["revision"] = target.revisions[0]
            out["sourceType"] = target.source_types[0]
        counts = Counter(
            ResourceKey.from_obj(with_namespace(obj, dest_ns, is_namespaced)) for obj in desired
        )
        conditions.extend(
            condition(
                ConditionType.REPEATED_RESOURCE_WARNING,
                f"Resource {key} appeared {counts[key]} times among application resources.",
                stamp,
            )
            for key in pairing.duplicates
        )
    sync["status"] = code.value
    verdict = aggregate(managed, settings.health)
    health: dict[str, str] = {"status": verdict.status.value}
    if verdict.message:
        health["message"] = verdict.message
    out.update(
        sync=sync,
        health=health,
        resources=sorted(resources, key=_sort_key),
        summary=summarize(tracked),
        reconciledAt=stamp,
    )
    if conditions:
        out["conditions"] = conditions
    return out


__all__ = [
    "DEFAULT_SETTINGS",
    "CompareSettings",
    "TargetState",
    "compared_to",
    "compute_status",
    "exclude",
    "resource_entry",
]
