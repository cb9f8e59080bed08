"""Drift forensics in the controller: who changed the fields that drifted.

Contract of :meth:`DriftForensics.annotate`: for each modified (not to-be-pruned) resource of
a comparison, the field managers that own the drifted fields in the live object's
``managedFields`` (:func:`kapstan.engine.drift.drift_records`) are written to that resource's
``status.resources[].drift`` and logged once per object version. ``managedFields`` are not
cached, so each drifted object version costs one GET; later refreshes of that version reuse
the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from kapstan.engine.diff import ResourceDiff
from kapstan.engine.drift import DriftRecord, describe, drift_records, drifted_paths
from kapstan.kube.discovery import DiscoveryModel
from kapstan.kube.errors import KubeError
from kapstan.model.fields import resource_key_of
from kapstan.model.keys import ResourceKey
from kapstan.model.vocabulary import FIELD_MANAGER
from kapstan.services.clusters import Target

log = logging.getLogger(__name__)
OWN_MANAGERS = (FIELD_MANAGER,)


class DriftForensics:
    """Per-app memory of drift records (see the module contract)."""

    def __init__(self) -> None:
        # (app, resource) -> (resourceVersion, drifted paths, records)
        self._known: dict[
            tuple[str, ResourceKey], tuple[str, list[str], tuple[DriftRecord, ...]]
        ] = {}

    def forget(self, app: str) -> None:
        for key in [k for k in self._known if k[0] == app]:
            del self._known[key]

    async def annotate(
        self,
        app: str,
        target: Target,
        model: DiscoveryModel,
        status: dict[str, Any],
        diffs: Mapping[ResourceKey, ResourceDiff],
        live: Sequence[Mapping[str, Any]],
    ) -> None:
        versions = {
            ResourceKey.from_obj(o): str((o.get("metadata") or {}).get("resourceVersion") or "")
            for o in live
        }
        entries = {resource_key_of(r): r for r in status.get("resources") or []}
        for key, diff in diffs.items():
            entry = entries.get(key)
            if entry is None or not diff.modified or diff.requires_pruning or key not in versions:
                continue
            paths = drifted_paths(diff.patch)
            known = self._known.get((app, key))
            records: tuple[DriftRecord, ...] | None
            if known is not None and known[0] == versions[key] and known[1] == paths:
                records = known[2]
            else:
                records = await self._lookup(target, model, key, paths)
                if records is None:
                    continue
                self._known[(app, key)] = (versions[key], paths, records)
                if records:
                    log.info(
                        "application %s: %s/%s %s drifted: %s",
                        app,
                        key.kind,
                        key.namespace,
                        key.name,
                        describe(records),
                    )
            if records:
                entry["drift"] = [r.to_dict() for r in records]

    @staticmethod
    async def _lookup(
        target: Target, model: DiscoveryModel, key: ResourceKey, paths: list[str]
    ) -> tuple[DriftRecord, ...] | None:
        info = model.find(key.group, key.kind)
        if not paths or info is None:
            return ()
        try:
            obj = await target.kube.get(info.path(key.namespace, key.name))
        except KubeError:  # gone meanwhile, or the API is away: try on the next refresh
            return None
        return drift_records(obj, paths, own_managers=OWN_MANAGERS)


__all__ = ["DriftForensics"]
