"""Typed, read-only views over Argo CD ``Application`` dicts, and the enums they use.

Raw Kubernetes objects stay plain dicts (fast, no schema drift, written back as they came);
these views are built where fields are *read*, so code compares enums and attributes instead
of digging through nested ``.get()`` chains. Contract: :meth:`Application.of` never raises on
a malformed object — a missing or mistyped field reads as its empty value (the CRD's schema
is the API server's job) — and every view keeps the ``raw`` mapping it was built from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kapstan.model import vocabulary as v
from kapstan.model.health import HealthStatus
from kapstan.model.keys import ResourceKey
from kapstan.model.status import SyncStatusCode
from kapstan.model.sync import OperationPhase


class ConditionType(StrEnum):
    """``status.conditions[].type`` (Argo CD's ``ApplicationConditionType``)."""

    INVALID_SPEC_ERROR = "InvalidSpecError"
    COMPARISON_ERROR = "ComparisonError"
    SYNC_ERROR = "SyncError"
    UNKNOWN_ERROR = "UnknownError"
    DELETION_ERROR = "DeletionError"
    SHARED_RESOURCE_WARNING = "SharedResourceWarning"
    REPEATED_RESOURCE_WARNING = "RepeatedResourceWarning"
    EXCLUDED_RESOURCE_WARNING = "ExcludedResourceWarning"
    ORPHANED_RESOURCE_WARNING = "OrphanedResourceWarning"

    @property
    def is_error(self) -> bool:
        """Argo CD's ``IsError``: the type name ends in ``Error``."""
        return self.value.endswith("Error")


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


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _str(value: Any) -> str:
    return "" if value is None or isinstance(value, Mapping | list) else str(value)


def _bool(value: Any, default: bool = False) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def resource_key_of(entry: Mapping[str, Any]) -> ResourceKey:
    """The key of a ``{group, kind, namespace, name}`` entry (status resources, selective
    sync resources)."""
    return ResourceKey(
        _str(entry.get("group")),
        _str(entry.get("kind")),
        _str(entry.get("namespace")),
        _str(entry.get("name")),
    )


@dataclass(frozen=True)
class Source:
    """``ApplicationSource``."""

    raw: Mapping[str, Any]

    @property
    def repo_url(self) -> str:
        return _str(self.raw.get("repoURL"))

    @property
    def path(self) -> str:
        return _str(self.raw.get("path"))

    @property
    def target_revision(self) -> str:
        return _str(self.raw.get("targetRevision"))

    @property
    def chart(self) -> str:
        return _str(self.raw.get("chart"))

    @property
    def ref(self) -> str:
        return _str(self.raw.get("ref"))


@dataclass(frozen=True)
class Destination:
    """``ApplicationDestination``: a cluster by ``server`` URL or by ``name``."""

    server: str = ""
    name: str = ""
    namespace: str = ""

    @classmethod
    def of(cls, raw: Any) -> Destination:
        d = _map(raw)
        return cls(_str(d.get("server")), _str(d.get("name")), _str(d.get("namespace")))


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
        p = _map(raw)
        auto: Automated | None = None
        if isinstance(p.get("automated"), Mapping):
            a = p["automated"]
            auto = Automated(
                enabled=_bool(a.get("enabled"), True),
                prune=_bool(a.get("prune")),
                self_heal=_bool(a.get("selfHeal")),
                allow_empty=_bool(a.get("allowEmpty")),
            )
        retry = p.get("retry") if isinstance(p.get("retry"), Mapping) else None
        meta = p.get("managedNamespaceMetadata")
        return cls(
            automated=auto,
            sync_options=tuple(_str(o) for o in _list(p.get("syncOptions"))),
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
        s = _map(raw)
        limit = s.get("revisionHistoryLimit")
        return cls(
            project=_str(s.get("project")),
            source=Source(s["source"]) if isinstance(s.get("source"), Mapping) else None,
            sources=tuple(Source(x) for x in _list(s.get("sources")) if isinstance(x, Mapping)),
            destination=Destination.of(s.get("destination")),
            sync_policy=SyncPolicy.of(s.get("syncPolicy")),
            ignore_differences=tuple(
                x for x in _list(s.get("ignoreDifferences")) if isinstance(x, Mapping)
            ),
            revision_history_limit=limit if isinstance(limit, int) else None,
        )


@dataclass(frozen=True)
class SyncOperation:
    """``operation.sync`` (Argo CD's ``SyncOperation``)."""

    raw: Mapping[str, Any]

    @property
    def revision(self) -> str:
        return _str(self.raw.get("revision"))

    @property
    def prune(self) -> bool:
        return _bool(self.raw.get("prune"))

    @property
    def dry_run(self) -> bool:
        return _bool(self.raw.get("dryRun"))

    @property
    def resources(self) -> tuple[ResourceKey, ...]:
        """Selected resources of a selective sync (empty: all)."""
        return tuple(
            resource_key_of(r) for r in _list(self.raw.get("resources")) if isinstance(r, Mapping)
        )

    @property
    def sync_options(self) -> tuple[str, ...]:
        return tuple(_str(o) for o in _list(self.raw.get("syncOptions")))

    @property
    def source(self) -> Mapping[str, Any] | None:
        """The rollback form: sync this source instead of the spec's."""
        src = self.raw.get("source")
        return src if isinstance(src, Mapping) else None


@dataclass(frozen=True)
class Operation:
    """The top-level ``operation`` field."""

    raw: Mapping[str, Any]

    @property
    def sync(self) -> SyncOperation:
        return SyncOperation(_map(self.raw.get("sync")))

    @property
    def automated(self) -> bool:
        """Started by automated sync (``initiatedBy.automated``)."""
        return _bool(_map(self.raw.get("initiatedBy")).get("automated"))

    @property
    def username(self) -> str:
        return _str(_map(self.raw.get("initiatedBy")).get("username"))

    @property
    def retry(self) -> Mapping[str, Any] | None:
        value = self.raw.get("retry")
        return value if isinstance(value, Mapping) else None


@dataclass(frozen=True)
class OperationState:
    """``status.operationState``."""

    raw: Mapping[str, Any]

    @property
    def phase(self) -> OperationPhase | None:
        try:
            return OperationPhase(_str(self.raw.get("phase")))
        except ValueError:
            return None

    @property
    def message(self) -> str:
        return _str(self.raw.get("message"))

    @property
    def operation(self) -> Operation:
        return Operation(_map(self.raw.get("operation")))

    @property
    def started(self) -> bool:
        """Kapstan's resume point is present: the operation began running its steps."""
        return bool(self.raw.get("progress"))

    @property
    def in_progress(self) -> bool:
        return self.phase in (OperationPhase.RUNNING, OperationPhase.TERMINATING)


@dataclass(frozen=True)
class Condition:
    """One ``status.conditions[]`` entry; ``type`` stays a string (unknown types survive)."""

    type: str
    message: str
    last_transition_time: str = ""

    @property
    def known_type(self) -> ConditionType | None:
        try:
            return ConditionType(self.type)
        except ValueError:
            return None

    @property
    def is_error(self) -> bool:
        return self.type.endswith("Error")

    def to_dict(self) -> dict[str, str]:
        out = {"type": self.type, "message": self.message}
        if self.last_transition_time:
            out["lastTransitionTime"] = self.last_transition_time
        return out


@dataclass(frozen=True)
class AppStatus:
    """``ApplicationStatus`` (the parts code reads)."""

    raw: Mapping[str, Any]

    @property
    def sync_status(self) -> SyncStatusCode | None:
        try:
            return SyncStatusCode(_str(_map(self.raw.get("sync")).get("status")))
        except ValueError:
            return None

    @property
    def health_status(self) -> HealthStatus | None:
        try:
            return HealthStatus(_str(_map(self.raw.get("health")).get("status")))
        except ValueError:
            return None

    @property
    def operation_state(self) -> OperationState:
        return OperationState(_map(self.raw.get("operationState")))

    @property
    def resources(self) -> list[Mapping[str, Any]]:
        return [r for r in _list(self.raw.get("resources")) if isinstance(r, Mapping)]

    @property
    def history(self) -> list[Mapping[str, Any]]:
        return [h for h in _list(self.raw.get("history")) if isinstance(h, Mapping)]

    @property
    def conditions(self) -> list[Condition]:
        return [
            Condition(
                _str(c.get("type")), _str(c.get("message")), _str(c.get("lastTransitionTime"))
            )
            for c in _list(self.raw.get("conditions"))
            if isinstance(c, Mapping)
        ]

    def resource_statuses(self) -> dict[ResourceKey, SyncStatusCode]:
        """Per-resource sync status of the last refresh (for ``ApplyOutOfSyncOnly``)."""
        out: dict[ResourceKey, SyncStatusCode] = {}
        for r in self.resources:
            try:
                out[resource_key_of(r)] = SyncStatusCode(_str(r.get("status")))
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
        meta = _map(raw.get("metadata"))
        return cls(
            raw=raw,
            name=_str(meta.get("name")),
            namespace=_str(meta.get("namespace")),
            resource_version=_str(meta.get("resourceVersion")),
            annotations={str(k): _str(x) for k, x in _map(meta.get("annotations")).items()},
            labels={str(k): _str(x) for k, x in _map(meta.get("labels")).items()},
            finalizers=tuple(_str(f) for f in _list(meta.get("finalizers"))),
            deleting=bool(meta.get("deletionTimestamp")),
            spec=AppSpec.of(raw.get("spec")),
        )

    @property
    def operation(self) -> Operation | None:
        op = self.raw.get("operation")
        return Operation(op) if isinstance(op, Mapping) and op else None

    @property
    def status(self) -> AppStatus:
        return AppStatus(_map(self.raw.get("status")))

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


def parse_option_annotation(value: str) -> dict[str, str]:
    """A comma list annotation (``A,B=c``) as ``{"A": "", "B": "c"}``."""
    out: dict[str, str] = {}
    for item in value.split(","):
        name, _, val = item.strip().partition("=")
        if name.strip():
            out[name.strip()] = val.strip()
    return out


def conditions_of(entries: Sequence[Mapping[str, Any]]) -> list[Condition]:
    """Typed conditions of a ``status.conditions`` list."""
    return AppStatus({"conditions": list(entries)}).conditions


__all__ = [
    "AppSpec",
    "AppStatus",
    "Application",
    "Automated",
    "Condition",
    "ConditionType",
    "Destination",
    "Operation",
    "OperationState",
    "RefreshType",
    "Source",
    "SourceType",
    "SyncOperation",
    "SyncPolicy",
    "TrackingMethod",
    "conditions_of",
    "parse_option_annotation",
    "resource_key_of",
]
