"""The live objects an Application tracks, from the watch cache or straight from the API.

- :func:`from_cache` answers refreshes: the cluster cache's app index (objects whose tracking
  id names the app), full objects, no API call unless an entry is still compact (it was
  tracked a moment ago and its full copy is being fetched). Returns ``None`` when the cache
  is not ready, so the caller falls back to :func:`from_api`.
- :func:`from_api` answers sync operations, which must not plan on a possibly lagging cache:
  it lists the desired kinds and the kinds the app last reported in the destination
  namespace (and cluster-wide for cluster-scoped kinds).
Both return only the app's top-level resources under the configured tracking method
(:meth:`kapstan.engine.tracking.Tracking.is_managed`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kapstan.cache.cluster import ClusterCache
from kapstan.engine.tracking import Tracking
from kapstan.kube.client import KubeClient
from kapstan.kube.discovery import DiscoveryModel
from kapstan.kube.errors import KubeError, NotFound
from kapstan.model.keys import ResourceKey, group_of


async def from_cache(
    cache: ClusterCache | None,
    kube: KubeClient,
    model: DiscoveryModel,
    app: str,
    tracking: Tracking,
) -> list[dict[str, Any]] | None:
    """Tracked objects of ``app`` from ``cache``, or ``None`` when it cannot answer."""
    if cache is None or not cache.synced:
        return None
    found: list[dict[str, Any]] = []
    for key in sorted(cache.index.of_app(app)):
        entry = cache.get(key)
        if entry is None:
            continue
        obj = entry.obj
        if obj is None:
            group, kind, namespace, name = key
            info = model.find(group, kind)
            if info is None:
                continue
            try:
                obj = await kube.get(info.path(namespace, name))
            except NotFound:
                continue
        if tracking.is_managed(app, obj):
            found.append(obj)
    return found


async def from_api(
    kube: KubeClient,
    model: DiscoveryModel,
    app: Mapping[str, Any],
    desired: Sequence[Mapping[str, Any]],
    tracking: Tracking,
) -> list[dict[str, Any]]:
    """Tracked objects of the desired kinds and of the kinds in ``status.resources``."""
    name = str((app.get("metadata") or {}).get("name") or "")
    dest_ns = str(((app.get("spec") or {}).get("destination") or {}).get("namespace") or "")
    kinds = {(group_of(str(o.get("apiVersion") or "")), str(o.get("kind"))) for o in desired}
    for res in (app.get("status") or {}).get("resources") or []:
        kinds.add((str(res.get("group") or ""), str(res.get("kind") or "")))
    found: list[dict[str, Any]] = []
    for group, kind in sorted(kinds):
        info = model.find(group, kind)
        if info is None or (info.verbs and "list" not in info.verbs):
            continue
        path = info.path(dest_ns) if info.namespaced else info.path()
        try:
            items = (await kube.list(path)).items
        except NotFound:
            continue
        found.extend(o for o in items if tracking.is_managed(name, o))
    return found


class ManagedFields:
    """``metadata.managedFields`` for the live objects that need them.

    The watch cache drops ``managedFields`` (they are often the largest part of an object);
    ``managedFieldsManagers`` ignore rules need them. :meth:`complete` returns ``objs`` with
    ``managedFields`` filled in for every object ``wanted`` selects, fetching each object
    version once (a later call for the same resourceVersion costs nothing).
    """

    def __init__(self) -> None:
        self._known: dict[tuple[str, str, str, str], tuple[str, list[Any]]] = {}

    async def complete(
        self,
        kube: KubeClient,
        model: DiscoveryModel,
        objs: Sequence[dict[str, Any]],
        wanted: Callable[[ResourceKey], bool],
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for obj in objs:
            meta = obj.get("metadata") or {}
            key = ResourceKey.from_obj(obj)
            if "managedFields" in meta or not wanted(key):
                out.append(obj)
                continue
            version = str(meta.get("resourceVersion") or "")
            ident = (key.group, key.kind, key.namespace, key.name)
            known = self._known.get(ident)
            if known is None or known[0] != version:
                info = model.find(key.group, key.kind)
                if info is None:
                    out.append(obj)
                    continue
                try:
                    fresh = await kube.get(info.path(key.namespace, key.name))
                except KubeError:
                    out.append(obj)
                    continue
                known = (version, list((fresh.get("metadata") or {}).get("managedFields") or []))
                self._known[ident] = known
            out.append({**obj, "metadata": {**meta, "managedFields": known[1]}})
        return out


def shared_with_others(
    cache: ClusterCache | None, desired: Sequence[Mapping[str, Any]], app: str
) -> dict[ResourceKey, str]:
    """Desired objects that already exist tracked by another app -> that app (from the watch
    cache; empty while it is not ready)."""
    if cache is None or not cache.synced:
        return {}
    found: dict[ResourceKey, str] = {}
    for obj in desired:
        key = ResourceKey.from_obj(obj)
        entry = cache.get((key.group, key.kind, key.namespace, key.name))
        if entry is not None and entry.app and entry.app != app and not entry.owners:
            found[key] = entry.app
    return found


__all__ = ["ManagedFields", "from_api", "from_cache", "shared_with_others"]
