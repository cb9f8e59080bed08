"""What the cache keeps per object.

Contract: every object becomes an :class:`Entry` (``__slots__``, no per-instance dict) with
its identity, uid, resourceVersion, owner uids, tracked app and a small health summary. Only
objects that belong to an app (tracked themselves or owned, transitively, by a tracked
object) also keep ``obj``: the full manifest minus ``metadata.managedFields``, which is large
and never needed for diffing live state. Everything else stays compact, which is what lets one
process cache clusters with hundreds of thousands of objects.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from kapstan.model.keys import ResourceKey, group_of

# (group, kind, namespace, name): a tuple is far smaller than a dataclass per object.
Key = tuple[str, str, str, str]
_intern = sys.intern


def key_of(obj: Mapping[str, Any]) -> Key:
    """The interned key of a manifest (group/kind/namespace repeat across many objects)."""
    meta = obj.get("metadata") or {}
    return (
        _intern(group_of(str(obj.get("apiVersion") or ""))),
        _intern(str(obj.get("kind") or "")),
        _intern(str(meta.get("namespace") or "")),
        str(meta.get("name") or ""),
    )


def resource_key(key: Key) -> ResourceKey:
    return ResourceKey(*key)


def _pod_summary(obj: Mapping[str, Any]) -> tuple[Any, ...]:
    status = obj.get("status") or {}
    ready = next(
        (c.get("status") for c in status.get("conditions") or [] if c.get("type") == "Ready"),
        None,
    )
    restarts = sum(int(c.get("restartCount") or 0) for c in status.get("containerStatuses") or [])
    return (status.get("phase"), ready, restarts)


def _replicas_summary(obj: Mapping[str, Any]) -> tuple[Any, ...]:
    status = obj.get("status") or {}
    return (
        (obj.get("spec") or {}).get("replicas"),
        status.get("replicas"),
        status.get("readyReplicas"),
        status.get("availableReplicas"),
        (obj.get("metadata") or {}).get("generation"),
        status.get("observedGeneration"),
    )


_SUMMARIES = {
    "Pod": _pod_summary,
    "ReplicaSet": _replicas_summary,
    "StatefulSet": _replicas_summary,
    "Deployment": _replicas_summary,
}


def health_summary(kind: str, obj: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """What the health rules of an unmanaged child need (Pods and replica owners)."""
    fn = _SUMMARIES.get(kind)
    return fn(obj) if fn is not None else None


def strip(obj: dict[str, Any]) -> dict[str, Any]:
    """The object without ``metadata.managedFields`` (shallow copies; input untouched)."""
    meta = obj.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        meta = {k: v for k, v in meta.items() if k != "managedFields"}
        return {**obj, "metadata": meta}
    return obj


class Entry:
    """One cached object. Treat as immutable: the index replaces entries, never edits them."""

    __slots__ = ("app", "deleting", "key", "obj", "owners", "resource_version", "summary", "uid")

    def __init__(
        self,
        key: Key,
        uid: str,
        resource_version: str,
        owners: tuple[str, ...],
        app: str | None,
        summary: tuple[Any, ...] | None,
        deleting: bool,
        obj: dict[str, Any] | None,
    ) -> None:
        self.key = key
        self.uid = uid
        self.resource_version = resource_version
        self.owners = owners
        self.app = app
        self.summary = summary
        self.deleting = deleting
        self.obj = obj

    @classmethod
    def from_obj(cls, obj: dict[str, Any], app: str | None, *, full: bool) -> Entry:
        meta = obj.get("metadata") or {}
        key = key_of(obj)
        owners = tuple(
            _intern(str(r["uid"])) for r in meta.get("ownerReferences") or () if r.get("uid")
        )
        return cls(
            key,
            _intern(str(meta.get("uid") or "")),  # interned: owner refs point at the same uid
            str(meta.get("resourceVersion") or ""),
            owners,
            app,
            health_summary(key[1], obj),
            bool(meta.get("deletionTimestamp")),
            strip(obj) if full else None,
        )

    def with_obj(self, obj: dict[str, Any] | None) -> Entry:
        return Entry(
            self.key,
            self.uid,
            self.resource_version,
            self.owners,
            self.app,
            self.summary,
            self.deleting,
            strip(obj) if obj is not None else None,
        )

    def __repr__(self) -> str:
        full = "full" if self.obj is not None else "compact"
        return f"Entry({'/'.join(self.key)}, rv={self.resource_version}, app={self.app}, {full})"
