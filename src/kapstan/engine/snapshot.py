"""What the API serves about one app from the controller's last comparison, in Argo CD's
shapes: the resource tree (``ApplicationTree``) and the managed resources
(``ManagedResourcesResponse``).

Pure builders. Secret values never leave through them: every state is masked
(:mod:`kapstan.engine.redact`) before it is serialised.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from kapstan.engine.diff import ResourceDiff
from kapstan.engine.health import DEFAULT_CONFIG, HealthConfig, assess
from kapstan.engine.nodeinfo import node_info
from kapstan.engine.redact import mask_secrets
from kapstan.engine.summary import images_of
from kapstan.model.keys import ResourceKey, group_of


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def tree_node(
    obj: Mapping[str, Any], parents: Iterable[Mapping[str, Any]], config: HealthConfig
) -> dict[str, Any]:
    """One ``ResourceNode``: identity, owners present in the tree, health, images, and the
    ``info``/``networkingInfo`` Argo CD's controller adds (:mod:`kapstan.engine.nodeinfo`)."""
    meta = _meta(obj)
    api_version = str(obj.get("apiVersion") or "")
    node: dict[str, Any] = {
        "group": group_of(api_version),
        "version": api_version.rpartition("/")[2],
        "kind": str(obj.get("kind") or ""),
        "namespace": str(meta.get("namespace") or ""),
        "name": str(meta.get("name") or ""),
        "uid": str(meta.get("uid") or ""),
        "resourceVersion": str(meta.get("resourceVersion") or ""),
    }
    refs = [
        {
            "group": group_of(str(p.get("apiVersion") or "")),
            "kind": str(p.get("kind") or ""),
            "namespace": str(_meta(p).get("namespace") or ""),
            "name": str(_meta(p).get("name") or ""),
            "uid": str(_meta(p).get("uid") or ""),
        }
        for p in parents
    ]
    if refs:
        node["parentRefs"] = refs
    verdict = assess(obj, config)
    if verdict is not None:
        node["health"] = {"status": verdict.status.value}
        if verdict.message:
            node["health"]["message"] = verdict.message
    images = images_of(obj)
    if images:
        node["images"] = images
    if meta.get("creationTimestamp"):
        node["createdAt"] = str(meta["creationTimestamp"])
    node.update(node_info(obj))
    return node


def resource_tree(
    objects: Iterable[Mapping[str, Any]], config: HealthConfig = DEFAULT_CONFIG
) -> dict[str, Any]:
    """``ApplicationTree``: every object with ``parentRefs`` to its owners among ``objects``."""
    items = list(objects)
    by_uid = {str(_meta(o).get("uid") or ""): o for o in items if _meta(o).get("uid")}
    nodes = []
    for obj in items:
        owners = [
            by_uid[str(ref.get("uid"))]
            for ref in _meta(obj).get("ownerReferences") or []
            if str(ref.get("uid")) in by_uid
        ]
        nodes.append(tree_node(obj, owners, config))
    nodes.sort(key=lambda n: (n["group"], n["kind"], n["namespace"], n["name"]))
    return {"nodes": nodes}


def _json(obj: Mapping[str, Any] | None) -> str:
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode()


def managed_resource(
    key: ResourceKey,
    diff: ResourceDiff | None,
    *,
    target: Mapping[str, Any] | None,
    live: Mapping[str, Any] | None,
    hook: bool = False,
) -> dict[str, Any]:
    """One ``ResourceDiff`` of the managed-resources response (states as JSON text).

    ``target`` is the object as a sync would write it (tracking set), ``live`` as read; for
    hooks (not compared) ``diff`` is ``None``.
    """
    masked_target, masked_live = mask_secrets(target, live)
    entry: dict[str, Any] = {
        "group": key.group,
        "kind": key.kind,
        "namespace": key.namespace,
        "name": key.name,
        "targetState": _json(masked_target),
        "liveState": _json(masked_live),
        "hook": hook,
        "modified": bool(diff.modified) if diff is not None else False,
    }
    if live is not None:
        entry["resourceVersion"] = str(_meta(live).get("resourceVersion") or "")
    if diff is not None:
        entry["normalizedLiveState"] = _json(diff.normalized_live)
        entry["predictedLiveState"] = _json(diff.predicted_live)
        entry["diff"] = diff.unified_diff
    return entry


__all__ = ["managed_resource", "resource_tree", "tree_node"]
