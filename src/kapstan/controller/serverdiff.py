"""Server-side diff in the controller: the predicted live state of each resource comes from a
server-side-apply dry run (``dryRun=All``) of exactly what a sync would write.

Chosen per app as Argo CD does: the controller-wide ``controller.diff.server.side`` setting,
overridden by the Application annotation ``argocd.argoproj.io/compare-options:
ServerSideDiff=true|false``; ``IncludeMutationWebhook=true`` keeps changes mutating webhooks
make in the dry run. Contract of :meth:`DryRuns.results`: one dry run per resource whose live
object exists (a create needs none), reused while neither the desired object nor the live
resourceVersion changes (a refresh of an unchanged app costs no request); a failed dry run is
reported in ``errors`` (``<Kind>/<name>: <reason>``), and that resource is compared three-way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from kapstan.kube.apply import Writer
from kapstan.kube.errors import KubeError
from kapstan.model.keys import ResourceKey

# (desired fingerprint, live resourceVersion, dry-run result)
_Cached = tuple[bytes, str, dict[str, Any]]


@dataclass(frozen=True)
class DryRunRequest:
    """One resource to dry-run: its desired object as a sync writes it, and its live object."""

    key: ResourceKey
    desired: Mapping[str, Any]
    live: Mapping[str, Any]


@dataclass(frozen=True)
class DryRunResults:
    """Dry-run results by resource, and the failures (value-free messages)."""

    results: Mapping[ResourceKey, Mapping[str, Any]] = field(default_factory=dict)
    errors: tuple[str, ...] = ()


class DryRuns:
    """Per-app cache of server-side-apply dry runs (see the module contract)."""

    def __init__(self) -> None:
        self._cache: dict[str, dict[ResourceKey, _Cached]] = {}
        self.requests = 0  # dry runs sent (for tests and benchmarks)

    def forget(self, app: str) -> None:
        self._cache.pop(app, None)

    async def results(
        self, app: str, writer: Writer, requests: Sequence[DryRunRequest]
    ) -> DryRunResults:
        cached = self._cache.get(app, {})
        fresh: dict[ResourceKey, _Cached] = {}
        errors: list[str] = []
        for req in requests:
            fingerprint = orjson.dumps(req.desired, option=orjson.OPT_SORT_KEYS)
            version = str((req.live.get("metadata") or {}).get("resourceVersion") or "")
            hit = cached.get(req.key)
            if hit is not None and hit[0] == fingerprint and hit[1] == version:
                fresh[req.key] = hit
                continue
            try:
                self.requests += 1
                record = await writer.apply(
                    req.desired, dry_run=True, force=True, live=req.live, live_known=True
                )
            except KubeError as err:
                errors.append(f"{req.key.kind}/{req.key.name}: {err}")
                continue
            if isinstance(record.live, Mapping):
                fresh[req.key] = (fingerprint, version, dict(record.live))
        self._cache[app] = fresh
        return DryRunResults({k: v[2] for k, v in fresh.items()}, tuple(errors))


__all__ = ["DryRunRequest", "DryRunResults", "DryRuns"]
