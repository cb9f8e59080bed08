"""Refresh one Application: compare Git with the live cluster and write ``status``.

Contract of :meth:`Reconciler.refresh` (called by the
:class:`~kapstan.controller.appcontroller.Controller` for one app at a time):

- the destination is resolved through :class:`~kapstan.controller.clusters.Clusters`; an
  unknown cluster, a missing project or a project violation (source repo, destination, a
  resource kind) becomes an ``InvalidSpecError`` condition and the app is not synced;
- manifests: a ``LIVE`` refresh re-uses the manifests generated last time for the same spec;
  ``NORMAL`` re-resolves the revision (rendering again only on a new commit: render cache);
  ``HARD`` renders again. A render error is a ``ComparisonError`` and nothing is applied or
  pruned;
- live objects come from the cluster's watch cache (API lists until it is synced);
- for each drifted resource the field managers that changed the drifted fields are looked
  up in the live object's ``managedFields`` (drift forensics): they are written to the
  resource's entry in ``status.resources[].drift`` and logged once per object version;
- only the keys refresh owns are written (``sync``, ``health``, ``resources``, ``summary``,
  ``conditions``, ``sourceType(s)``, ``reconciledAt``, ``observedAt``), each with a JSON patch
  ``add`` (``operationState`` and ``history`` belong to operations); nothing is written
  when only the timestamps would change on a ``LIVE`` refresh; a condition that persists
  keeps its ``lastTransitionTime``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from kapstan.controller.clusters import Clusters, DestinationError, Target
from kapstan.controller.livestate import from_api, from_cache
from kapstan.controller.manifests import (
    GeneratedManifests,
    ManifestGenerationError,
    ManifestGenerator,
)
from kapstan.controller.queue import Level
from kapstan.controller.refresh import compute_status, condition, rfc3339
from kapstan.controller.settings import Settings
from kapstan.engine.diff import ResourceDiff
from kapstan.engine.drift import DriftRecord, describe, drift_records, drifted_paths
from kapstan.engine.pairing import with_namespace
from kapstan.engine.project import Project, sync_allowed, violations
from kapstan.engine.project.orphans import CONDITION as ORPHAN_CONDITION
from kapstan.engine.project.orphans import Candidate, orphans
from kapstan.engine.project.orphans import warning as orphan_warning
from kapstan.kube.client import KubeClient
from kapstan.kube.discovery import DiscoveryModel
from kapstan.kube.errors import Invalid, KubeError
from kapstan.model.keys import ResourceKey

log = logging.getLogger(__name__)
API = "/apis/argoproj.io/v1alpha1"
JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
OWN_MANAGERS = ("kapstan-controller",)
REFRESH_KEYS = (
    "sync",
    "health",
    "resources",
    "summary",
    "conditions",
    "sourceType",
    "sourceTypes",
    "reconciledAt",
    "observedAt",
)
_STAMPS = ("reconciledAt", "observedAt")
# Polls and spec changes of many apps on one repository share a `git ls-remote` this recent.
REVISION_TTL = 3.0


@dataclass(frozen=True)
class Refreshed:
    """The outcome of one refresh: the app as written, its status and where it deploys."""

    app: dict[str, Any]
    status: dict[str, Any]
    target: Target | None
    project: Project | None
    blocked: str = ""  # why no sync may start (invalid spec), "" when it may


def _spec_key(spec: Mapping[str, Any]) -> bytes:
    keep = {k: spec.get(k) for k in ("source", "sources", "destination")}
    return orjson.dumps(keep, option=orjson.OPT_SORT_KEYS)


def _keep_transition_times(
    new: list[dict[str, Any]], old: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    before = {(c.get("type"), c.get("message")): c.get("lastTransitionTime") for c in old}
    out = []
    for c in new:
        stamp = before.get((c.get("type"), c.get("message")))
        out.append({**c, "lastTransitionTime": stamp} if stamp else c)
    return out


class Reconciler:
    """Per-app refresh (see the module contract)."""

    def __init__(
        self,
        kube: KubeClient,
        clusters: Clusters,
        generator: ManifestGenerator,
        settings: Settings,
        namespace: str,
        project_of: Callable[[str], Mapping[str, Any] | None],
    ) -> None:
        self.kube = kube
        self.clusters = clusters
        self.generator = generator
        self.settings = settings
        self.namespace = namespace
        self.project_of = project_of
        self._manifests: dict[str, tuple[bytes, GeneratedManifests | None, Exception | None]] = {}
        # (app, resource) -> (resourceVersion, drifted paths, records): one GET per version
        self._drift: dict[
            tuple[str, ResourceKey], tuple[str, list[str], tuple[DriftRecord, ...]]
        ] = {}

    def app_path(self, name: str) -> str:
        return f"{API}/namespaces/{self.namespace}/applications/{name}"

    def forget(self, name: str) -> None:
        self._manifests.pop(name, None)
        for key in [k for k in self._drift if k[0] == name]:
            del self._drift[key]

    async def write_status(
        self, app: Mapping[str, Any], fields: Mapping[str, Any], operation: Any = ...
    ) -> dict[str, Any]:
        """Set ``status.<key>`` for each of ``fields`` (``None`` removes it) in one JSON patch;
        ``operation`` (a mapping) is set too, ``None`` removes it, ``...`` leaves it alone.
        A patch that no longer fits the stored object (someone else removed a field) is
        retried once against a fresh copy."""
        path = self.app_path(str(app["metadata"]["name"]))
        try:
            return await self.kube.request(
                "PATCH", path, None, _ops(app, fields, operation), JSON_PATCH
            )
        except Invalid:
            fresh = await self.kube.get(path)
            return await self.kube.request(
                "PATCH", path, None, _ops(fresh, fields, operation), JSON_PATCH
            )

    async def merge(self, app: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
        path = self.app_path(str(app["metadata"]["name"]))
        return await self.kube.request("PATCH", path, None, patch, MERGE_PATCH)

    async def _generate(
        self, app: Mapping[str, Any], level: Level, fresh: bool = False
    ) -> tuple[GeneratedManifests | None, Exception | None]:
        name = str(app["metadata"]["name"])
        spec = app.get("spec") or {}
        key = _spec_key(spec)
        cached = self._manifests.get(name)
        if level is Level.LIVE and cached is not None and cached[0] == key:
            return cached[1], cached[2]
        generated: GeneratedManifests | None = None
        error: Exception | None = None
        try:
            generated = await self.generator.generate(
                app_name=name,
                namespace=str((spec.get("destination") or {}).get("namespace") or ""),
                source=spec.get("source"),
                sources=spec.get("sources"),
                refresh_cache=level is Level.HARD,
                revision_max_age=0.0 if fresh or level is Level.HARD else REVISION_TTL,
            )
        except ManifestGenerationError as err:
            error = err
        self._manifests[name] = (key, generated, error)
        return generated, error

    def _project(self, app: Mapping[str, Any]) -> tuple[Project | None, str]:
        name = str((app.get("spec") or {}).get("project") or "")
        raw = self.project_of(name)
        if raw is None:
            return None, f"Application referencing project {name} which does not exist"
        return Project.from_spec(name, raw.get("spec")), ""

    async def refresh(self, app: dict[str, Any], level: Level, *, fresh: bool = False) -> Refreshed:
        """Compare, write the refresh-owned status keys and tell whether a sync may start;
        ``fresh`` (an explicit refresh request) asks the remote for the branch head even if
        another app just did."""
        name = str(app["metadata"]["name"])
        spec = app.get("spec") or {}
        stamp = rfc3339(datetime.now(UTC))
        try:
            target: Target | None = self.clusters.resolve(spec.get("destination") or {})
        except DestinationError as err:
            target = None
            invalid = str(err)
        project, missing = self._project(app)
        if target is None or project is None:
            message = invalid if target is None else missing
            status = {
                "conditions": [condition("InvalidSpecError", message, stamp)],
                "reconciledAt": stamp,
            }
            written = await self._write(app, status, level)
            return Refreshed(written, status, target, project, blocked=message)
        generated, error = await self._generate(app, level, fresh)
        model = await target.discovery.model()
        lookup = model.namespaced
        live = await from_cache(target.cache, target.kube, model, name)
        if live is None:
            live = await from_api(target.kube, model, app, generated.objects if generated else [])
        diffs: dict[ResourceKey, ResourceDiff] = {}
        status = compute_status(
            app,
            generated,
            error,
            live,
            now=datetime.now(UTC),
            is_namespaced=lookup,
            health_config=self.settings.health,
            ignore_rules=self.settings.ignore_rules,
            diffs_out=diffs,
        )
        dest_ns = str((spec.get("destination") or {}).get("namespace") or "")
        desired = (
            [with_namespace(o, dest_ns, lookup) for o in generated.objects] if generated else []
        )
        found = violations(
            project,
            {**spec, "destination": {**(spec.get("destination") or {}), "server": target.server}},
            desired,
            namespaced=lambda g, k: bool(lookup(g, k)) if lookup(g, k) is not None else True,
        )
        conditions = list(status.get("conditions") or [])
        conditions.extend(condition(c.type, c.message, stamp) for c in found)
        blocked = "; ".join(c.message for c in found)
        orphaned = self._orphans(app, project, target, dest_ns)
        if orphaned:
            conditions.append(condition(ORPHAN_CONDITION, orphan_warning(len(orphaned)), stamp))
        await self._add_drift(app, target, model, status, diffs, live)
        if conditions:
            status["conditions"] = conditions
        status["observedAt"] = stamp
        written = await self._write(app, status, level)
        return Refreshed(written, status, target, project, blocked=blocked)

    def _orphans(
        self, app: Mapping[str, Any], project: Project, target: Target, namespace: str
    ) -> list[ResourceKey]:
        """Orphans in the destination namespace when the project asks for the warning."""
        raw = self.project_of(project.name) or {}
        settings = (raw.get("spec") or {}).get("orphanedResources")
        cache = target.cache
        if not isinstance(settings, Mapping) or settings.get("warn") is False:
            return []
        if cache is None or not cache.synced or not namespace:
            return []
        candidates = []
        for key in cache.index.in_namespace(namespace):
            entry = cache.get(key)
            if entry is not None:
                candidates.append(
                    Candidate(ResourceKey(*key), owned=bool(entry.owners), tracked=bool(entry.app))
                )
        return orphans(project, settings, candidates)

    def window_allows(self, refreshed: Refreshed, *, manual: bool) -> tuple[bool, str]:
        """Sync windows of the app's project at the present time."""
        if refreshed.project is None or refreshed.target is None:
            return False, refreshed.blocked
        spec = refreshed.app.get("spec") or {}
        return sync_allowed(
            refreshed.project,
            str(refreshed.app["metadata"]["name"]),
            str((spec.get("destination") or {}).get("namespace") or ""),
            refreshed.target.server,
            datetime.now(UTC),
            manual=manual,
            cluster_name=refreshed.target.name,
        )

    async def _write(
        self, app: dict[str, Any], status: dict[str, Any], level: Level
    ) -> dict[str, Any]:
        old = app.get("status") or {}
        if "conditions" in status:
            status["conditions"] = _keep_transition_times(
                status["conditions"], old.get("conditions") or []
            )
        fields: dict[str, Any] = {k: status.get(k) for k in REFRESH_KEYS}
        changed = any(fields[k] != old.get(k) for k in REFRESH_KEYS if k not in _STAMPS)
        if not changed and level is Level.LIVE:
            return app
        if not changed:
            fields = {k: fields[k] for k in _STAMPS}  # only the timestamps move
        try:
            return await self.write_status(app, fields)
        except KubeError as err:
            log.warning("application %s: writing status failed: %s", app["metadata"]["name"], err)
            return app

    async def _add_drift(
        self,
        app: Mapping[str, Any],
        target: Target,
        model: DiscoveryModel,
        status: dict[str, Any],
        diffs: Mapping[ResourceKey, ResourceDiff],
        live: list[dict[str, Any]],
    ) -> None:
        """Name the managers of drifted fields. ``managedFields`` are not cached, so each
        drifted object version costs one GET; later refreshes of that version reuse it."""
        name = str(app["metadata"]["name"])
        versions = {
            ResourceKey.from_obj(o): str((o.get("metadata") or {}).get("resourceVersion") or "")
            for o in live
        }
        entries = {
            ResourceKey(
                str(r.get("group") or ""),
                str(r.get("kind")),
                str(r.get("namespace") or ""),
                str(r.get("name")),
            ): r
            for r in status.get("resources") or []
        }
        for key, diff in diffs.items():
            entry = entries.get(key)
            if entry is None or not diff.modified or diff.requires_pruning or key not in versions:
                continue
            paths = drifted_paths(diff.patch)
            known = self._drift.get((name, key))
            records: tuple[DriftRecord, ...] | None
            if known is not None and known[0] == versions[key] and known[1] == paths:
                records = known[2]
            else:
                records = await self._drift_of(target, model, key, paths)
                if records is None:
                    continue
                self._drift[(name, key)] = (versions[key], paths, records)
                if records:
                    log.info(
                        "application %s: %s/%s %s drifted: %s",
                        name,
                        key.kind,
                        key.namespace,
                        key.name,
                        describe(records),
                    )
            if records:
                entry["drift"] = [r.to_dict() for r in records]

    async def _drift_of(
        self, target: Target, model: DiscoveryModel, key: ResourceKey, paths: list[str]
    ) -> tuple[DriftRecord, ...] | None:
        info = model.find(key.group, key.kind)
        if not paths or info is None:
            return ()
        try:
            obj = await target.kube.get(info.path(key.namespace, key.name))
        except KubeError:  # gone meanwhile, or the API is away: try on the next refresh
            return None
        return drift_records(obj, paths, own_managers=OWN_MANAGERS)


def _ops(app: Mapping[str, Any], fields: Mapping[str, Any], operation: Any) -> list[dict[str, Any]]:
    old = app.get("status") or {}
    ops: list[dict[str, Any]] = []
    if not isinstance(app.get("status"), Mapping):
        ops.append({"op": "add", "path": "/status", "value": {}})
    for key, value in fields.items():
        if value is None:
            if key in old:
                ops.append({"op": "remove", "path": f"/status/{key}"})
        else:
            ops.append({"op": "add", "path": f"/status/{key}", "value": value})
    if operation is None and "operation" in app:
        ops.append({"op": "remove", "path": "/operation"})
    elif isinstance(operation, Mapping):
        ops.append({"op": "add", "path": "/operation", "value": dict(operation)})
    return ops


__all__ = ["REFRESH_KEYS", "Reconciler", "Refreshed"]
