"""Typed, read-only views over Argo CD ``Application`` dicts, and the enums they use.

Raw Kubernetes objects stay plain dicts (fast, no schema drift, written back as they came);
these views are built where fields are *read*, so code compares enums and attributes instead
of digging through nested ``.get()`` chains. Contract: :meth:`Application.of` never raises on
a malformed object — a missing or mistyped field reads as its empty value (the CRD's schema
is the API server's job) — and every view keeps the ``raw`` mapping it was built from. The
views of ``operation`` / ``operationState`` are in :mod:`kapstan.model.operation`, those of
conditions in :mod:`kapstan.model.conditions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kapstan.model import vocabulary as v
from kapstan.model.conditions import Condition, conditions_of
from kapstan.model.fields import (
    as_bool,
    as_list,
    as_map,
    as_str,
    parse_option_annotation,
    resource_key_of,
)
from kapstan.model.health import HealthStatus
from kapstan.model.keys import ResourceKey
from kapstan.model.operation import Operation, OperationState
from kapstan.model.status import SyncStatusCode


class RefreshType(StrEnum):
    """Values of the ``argocd.argoproj.io/refresh`` annotation."""

    NORMAL = "normal"
    HARD = "hard"


class TrackingMethod(StrEnum):
    """argocd-cm ``application.resourceTrackingMethod``."""

    ANNOTATION = "annotation"
    ANNOTATION_AND_LABEL = "annotation+label"
    LABEL = "label"


class SourceType(StrEnum):
    """``status.sourceType``: how a source's manifests are generated."""

    HELM = "Helm"
    KUSTOMIZE = "Kustomize"
    DIRECTORY = "Directory"
    PLUGIN = "Plugin"


@dataclass(frozen=True)
class Source:
    """``ApplicationSource``."""

    raw: Mapping[str, Any]

    @property
    def repo_url(self) -> str:
        return as_str(self.raw.get("repoURL"))

    @property
    def path(self) -> str:
        return as_str(self.raw.get("path"))

    @property
    def target_revision(self) -> str:
        return as_str(self.raw.get("targetRevision"))

    @property
    def chart(self) -> str:
        return as_str(self.raw.get("chart"))

    @property
    def ref(self) -> str:
        return as_str(self.raw.get("ref"))


@dataclass(frozen=True)
class Destination:
    """``ApplicationDestination``: a cluster by ``server`` URL or by ``name``."""

    server: str = ""
    name: str = ""
    namespace: str = ""

    @classmethod
    def of(cls, raw: Any) -> Destination:
        d = as_map(raw)
        return cls(as_str(d.get("server")), as_str(d.get("name")), as_str(d.get("namespace")))


@dataclass(frozen=True)
class Automated:
    """``syncPolicy.automated``; ``enabled`` unset means on."""

    enabled: bool = True
    prune: bool = False
    self_heal: bool = False
    allow_empty: bool = False


@dataclass(frozen=True)
class SyncPolicy:
    """``spec.syncPolicy``."""

    automated: Automated | None = None
    sync_options: tuple[str, ...] = ()
    retry: Mapping[str, Any] | None = None
    managed_namespace_metadata: Mapping[str, Any] | None = None

    @property
    def auto_sync(self) -> bool:
        """Automated sync is configured and not switched off."""
        return self.automated is not None and self.automated.enabled

    @classmethod
    def of(cls, raw: Any) -> SyncPolicy:
        p = as_map(raw)
        auto: Automated | None = None
        if isinstance(p.get("automated"), Mapping):
            a = p["automated"]
            auto = Automated(
                enabled=as_bool(a.get("enabled"), True),
                prune=as_bool(a.get("prune")),
                self_heal=as_bool(a.get("selfHeal")),
                allow_empty=as_bool(a.get("allowEmpty")),
            )
        retry = p.get("retry") if isinstance(p.get("retry"), Mapping) else None
        meta = p.get("managedNamespaceMetadata")
        return cls(
            automated=auto,
            sync_options=tuple(as_str(o) for o in as_list(p.get("syncOptions"))),
            retry=retry,
            managed_namespace_metadata=meta if isinstance(meta, Mapping) else None,
        )


@dataclass(frozen=True)
class AppSpec:
    """``ApplicationSpec``."""

    project: str = ""
    source: Source | None = None
    sources: tuple[Source, ...] = ()
    destination: Destination = field(default_factory=Destination)
    sync_policy: SyncPolicy = field(default_factory=SyncPolicy)
    ignore_differences: tuple[Mapping[str, Any], ...] = ()
    revision_history_limit: int | None = None

    @property
    def multi_source(self) -> bool:
        return bool(self.sources)

    @property
    def effective_sources(self) -> tuple[Source, ...]:
        """``sources`` when set (``source`` is then ignored, as in Argo CD), else ``source``."""
        if self.sources:
            return self.sources
        return (self.source,) if self.source is not None else ()

    @classmethod
    def of(cls, raw: Any) -> AppSpec:
        s = as_map(raw)
        limit = s.get("revisionHistoryLimit")
        return cls(
            project=as_str(s.get("project")),
            source=Source(s["source"]) if isinstance(s.get("source"), Mapping) else None,
            sources=tuple(Source(x) for x in as_list(s.get("sources")) if isinstance(x, Mapping)),
            destination=Destination.of(s.get("destination")),
            sync_policy=SyncPolicy.of(s.get("syncPolicy")),
            ignore_differences=tuple(
                x for x in as_list(s.get("ignoreDifferences")) if isinstance(x, Mapping)
            ),
            revision_history_limit=limit if isinstance(limit, int) else None,
        )


@dataclass(frozen=True)
class AppStatus:
    """``ApplicationStatus`` (the parts code reads)."""

    raw: Mapping[str, Any]

    @property
    def sync_status(self) -> SyncStatusCode | None:
        try:
            return SyncStatusCode(as_str(as_map(self.raw.get("sync")).get("status")))
        except ValueError:
            return None

    @property
    def health_status(self) -> HealthStatus | None:
        try:
            return HealthStatus(as_str(as_map(self.raw.get("health")).get("status")))
        except ValueError:
            return None

    @property
    def operation_state(self) -> OperationState:
        return OperationState(as_map(self.raw.get("operationState")))

    @property
    def resources(self) -> list[Mapping[str, Any]]:
        return [r for r in as_list(self.raw.get("resources")) if isinstance(r, Mapping)]

    @property
    def history(self) -> list[Mapping[str, Any]]:
        return [h for h in as_list(self.raw.get("history")) if isinstance(h, Mapping)]

    @property
    def conditions(self) -> list[Condition]:
        return conditions_of(as_list(self.raw.get("conditions")))

    def resource_statuses(self) -> dict[ResourceKey, SyncStatusCode]:
        """Per-resource sync status of the last refresh (for ``ApplyOutOfSyncOnly``)."""
        out: dict[ResourceKey, SyncStatusCode] = {}
        for r in self.resources:
            try:
                out[resource_key_of(r)] = SyncStatusCode(as_str(r.get("status")))
            except ValueError:
                continue
        return out


@dataclass(frozen=True)
class Application:
    """A read-only view of one Application object (see the module contract)."""

    raw: Mapping[str, Any]
    name: str
    namespace: str
    resource_version: str
    annotations: Mapping[str, str]
    labels: Mapping[str, str]
    finalizers: tuple[str, ...]
    deleting: bool
    spec: AppSpec

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> Application:
        meta = as_map(raw.get("metadata"))
        return cls(
            raw=raw,
            name=as_str(meta.get("name")),
            namespace=as_str(meta.get("namespace")),
            resource_version=as_str(meta.get("resourceVersion")),
            annotations={str(k): as_str(x) for k, x in as_map(meta.get("annotations")).items()},
            labels={str(k): as_str(x) for k, x in as_map(meta.get("labels")).items()},
            finalizers=tuple(as_str(f) for f in as_list(meta.get("finalizers"))),
            deleting=bool(meta.get("deletionTimestamp")),
            spec=AppSpec.of(raw.get("spec")),
        )

    @property
    def operation(self) -> Operation | None:
        op = self.raw.get("operation")
        return Operation(op) if isinstance(op, Mapping) and op else None

    @property
    def status(self) -> AppStatus:
        return AppStatus(as_map(self.raw.get("status")))

    @property
    def refresh_requested(self) -> RefreshType | None:
        """The ``refresh`` annotation's level (an unknown value counts as ``normal``)."""
        value = self.annotations.get(v.REFRESH, "").strip().lower()
        if not value:
            return None
        return RefreshType.HARD if value == RefreshType.HARD else RefreshType.NORMAL

    @property
    def skip_reconcile(self) -> bool:
        return self.annotations.get(v.SKIP_RECONCILE, "").strip().lower() == "true"

    @property
    def compare_options(self) -> dict[str, str]:
        """The Application's ``compare-options`` annotation (``A,B=c`` → ``{A: "", B: c}``)."""
        return parse_option_annotation(self.annotations.get(v.COMPARE_OPTIONS, ""))


__all__ = [
    "AppSpec",
    "AppStatus",
    "Application",
    "Automated",
    "Destination",
    "RefreshType",
    "Source",
    "SourceType",
    "SyncPolicy",
    "TrackingMethod",
]
