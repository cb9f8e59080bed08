"""An app's comparison result, and the memo that lets an unchanged app skip computing it
again (:meth:`kapstan.controller.reconciler.Reconciler.refresh` on every poll).

Contract of :class:`Memo`: it holds one comparison with the inputs it was computed from — a
key of the app's spec and annotations, the revisions and source types, the render error and
every live object's resourceVersion (:func:`inputs_key`), plus objects compared by identity
(the settings, the discovery model and the rendered manifests, all replaced when they
change). :meth:`Memo.again` hands out a fresh copy of the status as computed, stamped now.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from kapstan.engine.compare import CompareSettings
from kapstan.engine.conditions import rfc3339
from kapstan.engine.diff import ResourceDiff
from kapstan.model.keys import ResourceKey
from kapstan.services.manifests import GeneratedManifests


@dataclass(frozen=True)
class Compared:
    """One comparison: the status keys it computed, the diffs, the live objects it saw."""

    status: dict[str, Any]
    diffs: dict[ResourceKey, ResourceDiff]
    live: list[dict[str, Any]]
    settings: CompareSettings
    dry_run_errors: tuple[str, ...]


@dataclass(frozen=True)
class Memo:
    """An app's last comparison and what it was computed from (see ``Reconciler._compare``)."""

    key: bytes
    # Compared by identity: settings and the discovery model are replaced when they change,
    # and a render-cache hit hands out the same manifest objects (a new render, new ones).
    inputs: tuple[Any, ...]
    compared: Compared
    status: bytes  # as computed: the refresh goes on to extend the dict it is handed

    def same_inputs(self, key: bytes, inputs: tuple[Any, ...]) -> bool:
        return (
            key == self.key
            and len(inputs) == len(self.inputs)
            and all(a is b for a, b in zip(inputs, self.inputs, strict=True))
        )

    def again(self, live: list[dict[str, Any]], compare: CompareSettings) -> Compared:
        """The same result for unchanged inputs, as a copy the caller may extend, stamped
        now (a persisting condition keeps its first time when written)."""
        status = orjson.loads(self.status)
        stamp = rfc3339(datetime.now(UTC))
        status["reconciledAt"] = stamp
        for entry in status.get("conditions") or []:
            entry["lastTransitionTime"] = stamp
        return Compared(status, self.compared.diffs, live, compare, self.compared.dry_run_errors)


def inputs_key(
    app: Mapping[str, Any],
    generated: GeneratedManifests | None,
    problem: str | Exception | None,
    live: list[dict[str, Any]],
) -> bytes:
    """What a comparison of ``app`` depends on besides the settings and discovery model."""
    meta = app.get("metadata") or {}
    versions = sorted(
        (
            str(o.get("apiVersion")),
            str(o.get("kind")),
            str((o.get("metadata") or {}).get("namespace") or ""),
            str((o.get("metadata") or {}).get("name") or ""),
            str((o.get("metadata") or {}).get("resourceVersion") or ""),
        )
        for o in live
    )
    made = (
        [list(generated.revisions), list(generated.source_types), len(generated.manifests)]
        if generated is not None
        else None
    )
    parts = [app.get("spec"), meta.get("annotations"), made, str(problem or ""), versions]
    return orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)


__all__ = ["Compared", "Memo", "inputs_key"]
