"""Refresh: compare generated manifests with tracked live objects into Argo CD's ``status``.

:func:`compute_status` is pure: it only reports (sync and health status, resources, summary,
conditions) and never decides to apply or prune anything. When manifests failed to render,
the application and every live resource are ``Unknown`` and a ``ComparisonError`` condition
carries the render error. :func:`refresh` is the I/O wrapper: it generates the manifests,
looks up the live objects and calls :func:`compute_status`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from kapstan.controller.manifests import (
    GeneratedManifests,
    ManifestGenerationError,
    ManifestGenerator,
)
from kapstan.controller.refresh_summary import summarize
from kapstan.controller.status import TRACKING_ID, tracking_id, with_tracking
from kapstan.engine.diff import ResourceDiff, app_sync_status, diff_resource
from kapstan.engine.health import DEFAULT_CONFIG, HealthConfig, ManagedResource, aggregate, assess
from kapstan.engine.ignore import IgnoreRule
from kapstan.engine.mode import DiffMode
from kapstan.engine.pairing import NamespacedLookup, ResourcePair, pair_resources, with_namespace
from kapstan.model.annotations import AnnotationError, is_hook, is_skip, sync_wave
from kapstan.model.health import HealthStatus
from kapstan.model.keys import ResourceKey
from kapstan.model.status import SyncStatusCode

LiveLookup = Callable[[Sequence[Mapping[str, Any]]], Awaitable[Sequence[Mapping[str, Any]]]]


def rfc3339(when: datetime) -> str:
    """``2024-01-02T03:04:05Z`` (naive datetimes are taken as UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_tracked(app: str, obj: Mapping[str, Any]) -> bool:
    """True when the object's tracking id names ``app`` and matches the object itself (a
    copied annotation, e.g. on a Pod created from a template, does not count)."""
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    return bool(app) and annotations.get(TRACKING_ID) == tracking_id(app, obj)


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


def _resource_entry(
    key: ResourceKey,
    desired: Mapping[str, Any] | None,
    live: Mapping[str, Any] | None,
    status: str | None,
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
        entry["status"] = status
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


def condition(kind: str, message: str, now: str) -> dict[str, str]:
    """One ``status.conditions[]`` entry (``now`` is its RFC 3339 transition time)."""
    return {"type": kind, "message": message, "lastTransitionTime": now}


def _compared_to(spec: Mapping[str, Any]) -> dict[str, Any]:
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
        status = None if hook else SyncStatusCode.UNKNOWN.value
        key = ResourceKey.from_obj(obj)
        resources.append(
            _resource_entry(
                key, None, obj, status, hook=hook, requires_pruning=False, config=config
            )
        )
        if not hook:
            managed.append(ManagedResource(target=None, live=obj))
    return resources, managed, SyncStatusCode.UNKNOWN


def _compare(
    name: str,
    pairs: Sequence[ResourcePair],
    *,
    config: HealthConfig,
    ignore_rules: Sequence[IgnoreRule],
    dry_runs: Mapping[ResourceKey, Mapping[str, Any]],
    diffs_out: dict[ResourceKey, ResourceDiff] | None = None,
) -> _Compared:
    resources: list[dict[str, Any]] = []
    managed: list[ManagedResource] = []
    diffs: list[ResourceDiff] = []
    for pair in pairs:
        if is_hook(pair.desired) or (pair.desired is None and is_hook(pair.live)):
            resources.append(
                _resource_entry(
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
            with_tracking(name, pair.desired) if pair.desired is not None else None,
            pair.live,
            mode=DiffMode.SERVER_SIDE if dry_run is not None else DiffMode.THREE_WAY,
            ignore_rules=ignore_rules,
            dry_run=dry_run,
        )
        diffs.append(result)
        if diffs_out is not None:
            diffs_out[pair.key] = result
        code = result.sync_status
        if pair.live is None or result.requires_pruning:
            code = SyncStatusCode.OUT_OF_SYNC
        resources.append(
            _resource_entry(
                pair.key,
                pair.desired,
                pair.live,
                code.value,
                hook=False,
                requires_pruning=result.requires_pruning,
                config=config,
            )
        )
        managed.append(ManagedResource(target=pair.desired, live=pair.live))
    return resources, managed, app_sync_status(diffs)


def compute_status(
    app: Mapping[str, Any],
    generated: GeneratedManifests | None,
    error: BaseException | None,
    live: Sequence[Mapping[str, Any]],
    *,
    now: datetime,
    is_namespaced: NamespacedLookup,
    health_config: HealthConfig = DEFAULT_CONFIG,
    ignore_rules: Sequence[IgnoreRule] = (),
    dry_run_results: Mapping[ResourceKey, Mapping[str, Any]] | None = None,
    instance: str | None = None,
    diffs_out: dict[ResourceKey, ResourceDiff] | None = None,
) -> dict[str, Any]:
    """The Argo CD ``status`` of ``app`` (everything but operationState and history).

    ``diffs_out``, when given, receives the diff of every compared (non-hook) resource.

    ``live`` may hold any objects: only those tracked by the app (``instance``, default
    ``metadata.name``) take part. With ``error`` set (or no ``generated``) the target state
    is unknown: nothing is paired, live resources are listed with status ``Unknown`` and
    never marked for pruning.
    """
    spec = app.get("spec") or {}
    name = instance or str((app.get("metadata") or {}).get("name") or "")
    multi = bool(spec.get("sources"))
    stamp = rfc3339(now)
    tracked = [obj for obj in live if is_tracked(name, obj)]
    sync: dict[str, Any] = {"comparedTo": _compared_to(spec)}
    conditions: list[dict[str, str]] = []
    out: dict[str, Any] = {}

    if error is not None or generated is None:
        message = str(error) if error is not None else "manifests were not generated"
        conditions.append(
            condition("ComparisonError", f"Failed to load target state: {message}", stamp)
        )
        resources, managed, code = _unknown(tracked, health_config)
    else:
        desired = [obj for obj in generated.objects if not is_skip(obj)]
        dest_ns = str((spec.get("destination") or {}).get("namespace") or "")
        pairing = pair_resources(
            desired, tracked, destination_namespace=dest_ns, is_namespaced=is_namespaced
        )
        resources, managed, code = _compare(
            name,
            pairing.pairs,
            config=health_config,
            ignore_rules=ignore_rules,
            dry_runs=dry_run_results or {},
            diffs_out=diffs_out,
        )
        if multi:
            sync["revisions"] = list(generated.revisions)
            out["sourceTypes"] = list(generated.source_types)
        elif generated.revisions:
            sync["revision"] = generated.revisions[0]
            out["sourceType"] = generated.source_types[0]
        counts = Counter(
            ResourceKey.from_obj(with_namespace(obj, dest_ns, is_namespaced)) for obj in desired
        )
        conditions.extend(
            condition(
                "RepeatedResourceWarning",
                f"Resource {key} appeared {counts[key]} times among application resources.",
                stamp,
            )
            for key in pairing.duplicates
        )
    sync["status"] = code.value
    verdict = aggregate(managed, health_config)
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


async def refresh(
    app: Mapping[str, Any],
    generator: ManifestGenerator,
    live_lookup: LiveLookup,
    *,
    is_namespaced: NamespacedLookup,
    now: datetime | None = None,
    health_config: HealthConfig = DEFAULT_CONFIG,
    ignore_rules: Sequence[IgnoreRule] = (),
) -> dict[str, Any]:
    """Generate manifests (a failure becomes a ``ComparisonError``), look up live objects
    (``live_lookup`` receives the desired objects, empty on failure) and compute ``status``."""
    spec = app.get("spec") or {}
    name = str((app.get("metadata") or {}).get("name") or "")
    generated: GeneratedManifests | None = None
    error: Exception | None = None
    try:
        generated = await generator.generate(
            app_name=name,
            namespace=str((spec.get("destination") or {}).get("namespace") or ""),
            source=spec.get("source"),
            sources=spec.get("sources"),
        )
    except ManifestGenerationError as exc:
        error = exc
    live = await live_lookup(generated.objects if generated is not None else [])
    return compute_status(
        app,
        generated,
        error,
        live,
        now=now or datetime.now(UTC),
        is_namespaced=is_namespaced,
        health_config=health_config,
        ignore_rules=ignore_rules,
    )
