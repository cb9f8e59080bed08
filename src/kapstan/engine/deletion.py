"""Deletion planning for an Application's cascade delete (Argo CD's resources finalizer).

Pure: which tracked objects one deletion pass deletes and which still remain; the controller
performs the pass (:mod:`kapstan.controller.deletion`). Rules:

- ``resources-finalizer.argocd.argoproj.io`` selects foreground cascade,
  ``.../background`` background (foreground wins when both are present); without either,
  deleting the Application orphans its resources;
- objects with the sync option ``Delete=false`` (or ``helm.sh/resource-policy: keep``) are
  never deleted and never block;
- objects are deleted in tiers: namespaced (and unknown-scope) objects first, then
  cluster-scoped ones, ``Namespace`` objects last; a tier is started only when no object of a
  lower tier remains (so a pass deletes one tier at most);
- with foreground propagation an object that already has ``deletionTimestamp`` still remains
  (its dependents are being deleted first); with background it is considered handled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kapstan.engine.pairing import NamespacedLookup
from kapstan.model.annotations import resource_option_map
from kapstan.model.keys import ResourceKey, group_of
from kapstan.model.sync import Propagation
from kapstan.model.vocabulary import RESOURCES_FINALIZER, RESOURCES_FINALIZER_BACKGROUND

CASCADE_FINALIZERS = (RESOURCES_FINALIZER, RESOURCES_FINALIZER_BACKGROUND)

# Tiers: lower tiers are deleted (and gone) before higher ones are started.
NAMESPACED, CLUSTER_SCOPED, NAMESPACES = 0, 1, 2


@dataclass(frozen=True)
class DeletionPlan:
    """What one pass does: ``delete`` (in order), ``remaining`` and ``kept`` (Delete=false)."""

    delete: tuple[Mapping[str, Any], ...]
    remaining: tuple[ResourceKey, ...]
    kept: tuple[ResourceKey, ...]


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def cascade_policy(app: Mapping[str, Any]) -> Propagation | None:
    """Foreground or background cascade from ``metadata.finalizers``, else ``None``."""
    finalizers = [str(f) for f in _meta(app).get("finalizers") or []]
    if RESOURCES_FINALIZER in finalizers:
        return Propagation.foreground
    if RESOURCES_FINALIZER_BACKGROUND in finalizers:
        return Propagation.background
    return None


def _tier(obj: Mapping[str, Any], is_namespaced: NamespacedLookup) -> int:
    group = group_of(str(obj.get("apiVersion") or ""))
    kind = str(obj.get("kind") or "")
    if group == "" and kind == "Namespace":
        return NAMESPACES
    return CLUSTER_SCOPED if is_namespaced(group, kind) is False else NAMESPACED


def _keep(obj: Mapping[str, Any]) -> bool:
    return resource_option_map(obj).get("Delete", "").lower() == "false"


def plan_deletion(
    live: Sequence[Mapping[str, Any]], policy: Propagation, is_namespaced: NamespacedLookup
) -> DeletionPlan:
    """Pure: the objects to delete now and those that still remain (see the module contract).

    ``is_namespaced`` answering ``None`` (unknown kind) counts as namespaced. Within a tier,
    objects are ordered by key; ``remaining`` is in tier order, then key order.
    """
    kept: list[ResourceKey] = []
    ranked: list[tuple[int, ResourceKey, Mapping[str, Any]]] = []
    for obj in live:
        key = ResourceKey.from_obj(obj)
        if _keep(obj):
            kept.append(key)
            continue
        pending = bool(_meta(obj).get("deletionTimestamp"))
        if pending and policy is not Propagation.foreground:
            continue  # background: the API server's garbage collector finishes the job
        ranked.append((_tier(obj, is_namespaced), key, obj))
    ranked.sort(key=lambda item: (item[0], str(item[1])))
    current = ranked[0][0] if ranked else NAMESPACED
    delete = tuple(
        obj
        for tier, _key, obj in ranked
        if tier == current and not _meta(obj).get("deletionTimestamp")
    )
    return DeletionPlan(delete, tuple(key for _t, key, _o in ranked), tuple(sorted(kept)))


__all__ = ["CASCADE_FINALIZERS", "DeletionPlan", "cascade_policy", "plan_deletion"]
