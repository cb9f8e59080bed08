"""Plan inputs computed from desired and live objects: tracking ids, shared resources and
per-resource sync status (for ``ApplyOutOfSyncOnly``)."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from kapstan.engine.diff import diff_resource
from kapstan.engine.ignore import IgnoreRule
from kapstan.model.keys import ResourceKey
from kapstan.model.status import SyncStatusCode

TRACKING_ID = "argocd.argoproj.io/tracking-id"


def tracking_id(app: str, obj: Mapping[str, Any]) -> str:
    """Annotation-mode tracking id: ``<app>:<group>/<kind>:<namespace>/<name>``."""
    key = ResourceKey.from_obj(obj)
    return f"{app}:{key.group}/{key.kind}:{key.namespace}/{key.name}"


def with_tracking(app: str, obj: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``obj`` carrying the app's tracking-id annotation (unchanged without app)."""
    out = copy.deepcopy(dict(obj))
    if app:
        meta = out.setdefault("metadata", {})
        annotations = meta.get("annotations") or {}
        meta["annotations"] = {**annotations, TRACKING_ID: tracking_id(app, out)}
    return out


def tracked_by(obj: Mapping[str, Any] | None) -> str:
    """The app named by the object's tracking-id annotation, or ``""``."""
    meta = (obj or {}).get("metadata") or {}
    value = str((meta.get("annotations") or {}).get(TRACKING_ID) or "")
    return value.partition(":")[0] if ":" in value else ""


def shared_resources(app: str, live: Sequence[Mapping[str, Any]]) -> dict[ResourceKey, str]:
    """Live objects tracked by an app other than ``app`` -> that app's name."""
    shared: dict[ResourceKey, str] = {}
    for obj in live:
        owner = tracked_by(obj)
        if owner and owner != app:
            shared[ResourceKey.from_obj(obj)] = owner
    return shared


def sync_statuses(
    desired: Sequence[Mapping[str, Any]],
    live: Sequence[Mapping[str, Any]],
    *,
    app: str = "",
    rules: Sequence[IgnoreRule] = (),
) -> dict[ResourceKey, SyncStatusCode]:
    """Per-resource sync status from the diff engine (desired as the runner would apply it)."""
    live_by_key = {ResourceKey.from_obj(obj): obj for obj in live}
    statuses: dict[ResourceKey, SyncStatusCode] = {}
    for obj in desired:
        key = ResourceKey.from_obj(obj)
        result = diff_resource(with_tracking(app, obj), live_by_key.get(key), ignore_rules=rules)
        statuses[key] = result.sync_status
    return statuses
