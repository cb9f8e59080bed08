"""What a refresh learned, in the shapes the API serves: the comparison snapshot (resource
tree from the watch cache, managed resources from the comparison) and the orphaned objects of
the destination namespace."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kapstan.engine.compare import CompareSettings
from kapstan.engine.diff import ResourceDiff
from kapstan.engine.project import Project
from kapstan.engine.project.orphans import Candidate, orphans
from kapstan.engine.snapshot import managed_resource, resource_tree
from kapstan.model.annotations import is_hook
from kapstan.model.keys import ResourceKey
from kapstan.services.clusters import Target
from kapstan.services.snapshots import Snapshot


def comparison_snapshot(
    namespace: str,
    app: Mapping[str, Any],
    target: Target,
    status: Mapping[str, Any],
    desired: list[dict[str, Any]],
    live: list[dict[str, Any]],
    diffs: Mapping[ResourceKey, ResourceDiff],
    compare: CompareSettings,
) -> Snapshot:
    """The snapshot of one comparison, built when first read (the tree from the cache when it
    is ready, else from the app's own live objects)."""
    name = str(app["metadata"]["name"])
    cache = target.cache

    def build() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        desired_by_key = {ResourceKey.from_obj(o): o for o in desired}
        live_by_key = {ResourceKey.from_obj(o): o for o in live}
        managed = []
        for key in sorted(set(desired_by_key) | set(live_by_key)):
            want = desired_by_key.get(key)
            hook = is_hook(want) or (want is None and is_hook(live_by_key.get(key)))
            managed.append(
                managed_resource(
                    key,
                    diffs.get(key),
                    target=compare.tracking.stamp(name, want) if want is not None else None,
                    live=live_by_key.get(key),
                    hook=hook,
                )
            )
        if cache is not None and cache.synced:
            objects = [e.obj for e in cache.app_tree(name) if e.obj is not None]
        else:
            objects = live
        return resource_tree(objects, compare.health), managed

    sync = status.get("sync") or {}
    return Snapshot(
        namespace=namespace,
        name=name,
        reconciled_at=str(status.get("reconciledAt") or ""),
        revision=str(sync.get("revision") or ",".join(sync.get("revisions") or [])),
        build=build,
    )


def orphans_of(
    project: Project, raw_project: Mapping[str, Any], target: Target, namespace: str
) -> list[ResourceKey]:
    """Orphans in the destination namespace, when the project asks for the warning
    (``spec.orphanedResources``) and the cache can tell."""
    settings = (raw_project.get("spec") or {}).get("orphanedResources")
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


__all__ = ["comparison_snapshot", "orphans_of"]
