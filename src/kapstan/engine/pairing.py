"""Pairing desired (rendered) objects with live (tracked) objects.

Mirrors Argo CD ``DeduplicateTargetObjects`` and the controller's key matching:

* a namespaced (or unknown-scope) desired object without ``metadata.namespace`` gets the
  Application's ``spec.destination.namespace``;
* a cluster-scoped desired object has its namespace cleared;
* when the same group/kind/namespace/name is rendered twice the last one wins and the
  key is reported (Argo CD raises a ``RepeatedResourceWarning`` condition).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from kapstan.model.keys import ResourceKey, group_of


class NamespacedLookup(Protocol):
    """Answers whether ``group``/``kind`` is namespaced; ``None`` when unknown.

    Unknown kinds (e.g. a CRD not installed yet) are treated as namespaced, like
    gitops-engine ``IsNamespacedOrUnknown``.
    """

    def __call__(self, group: str, kind: str) -> bool | None: ...


@dataclass(frozen=True)
class ResourcePair:
    """One resource: its key and the desired and/or live object."""

    key: ResourceKey
    desired: Mapping[str, Any] | None
    live: Mapping[str, Any] | None


@dataclass(frozen=True)
class PairingResult:
    """Pairs sorted by key string, plus keys rendered more than once."""

    pairs: tuple[ResourcePair, ...]
    duplicates: tuple[ResourceKey, ...]


def with_namespace(
    obj: Mapping[str, Any], destination_namespace: str, is_namespaced: NamespacedLookup
) -> dict[str, Any]:
    """Return a copy of a desired object with its namespace set or cleared; the copy shares
    no mutable part with ``obj``."""
    out: dict[str, Any] = {k: _tree_copy(v) for k, v in obj.items()}
    group = group_of(str(out.get("apiVersion") or ""))
    namespaced = is_namespaced(group, str(out.get("kind") or ""))
    meta = out.setdefault("metadata", {})
    if namespaced is False:
        meta.pop("namespace", None)
    elif not meta.get("namespace") and destination_namespace:
        meta["namespace"] = destination_namespace
    return out


def _tree_copy(value: Any) -> Any:
    # Every poll copies each desired object: a JSON tree copied by type is about three
    # times cheaper than copy.deepcopy, whose memo and dispatch serve arbitrary graphs.
    kind = type(value)
    if kind is dict:
        return {k: _tree_copy(v) for k, v in value.items()}
    if kind is list:
        return [_tree_copy(v) for v in value]
    if kind in _SHARED or value is None:
        return value
    return copy.deepcopy(value)


_SHARED = frozenset({str, int, float, bool})  # immutable: the copy may share them


def pair_resources(
    desired: Iterable[Mapping[str, Any]],
    live: Iterable[Mapping[str, Any]],
    *,
    destination_namespace: str,
    is_namespaced: NamespacedLookup,
) -> PairingResult:
    """Pair objects by :class:`ResourceKey`; the API version does not take part."""
    targets: dict[ResourceKey, dict[str, Any]] = {}
    duplicates: list[ResourceKey] = []
    for obj in desired:
        fixed = with_namespace(obj, destination_namespace, is_namespaced)
        key = ResourceKey.from_obj(fixed)
        if key in targets and key not in duplicates:
            duplicates.append(key)
        targets[key] = fixed
    lives: dict[ResourceKey, Mapping[str, Any]] = {}
    for obj in live:
        lives[ResourceKey.from_obj(obj)] = obj
    keys = sorted(set(targets) | set(lives), key=str)
    pairs = tuple(ResourcePair(key=k, desired=targets.get(k), live=lives.get(k)) for k in keys)
    return PairingResult(pairs=pairs, duplicates=tuple(duplicates))
