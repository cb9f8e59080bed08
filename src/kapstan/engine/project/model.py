"""The parsed, immutable AppProject spec."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kapstan.model.conditions import ConditionType
from kapstan.model.vocabulary import DEFAULT_PROJECT

__all__ = [
    "DEFAULT_PROJECT",
    "INVALID_SPEC_ERROR",
    "Condition",
    "Destination",
    "GroupKind",
    "Project",
    "SyncWindow",
]

INVALID_SPEC_ERROR = ConditionType.INVALID_SPEC_ERROR.value


@dataclass(frozen=True)
class Condition:
    """An Application status condition (``status.conditions[]``)."""

    type: str
    message: str

    def to_dict(self) -> dict[str, str]:
        """Return the wire form ``{"type": ..., "message": ...}``."""
        return {"type": self.type, "message": self.message}


@dataclass(frozen=True)
class Destination:
    """One ``spec.destinations[]`` entry; every field is a glob, ``!`` negates."""

    server: str = ""
    name: str = ""
    namespace: str = ""


@dataclass(frozen=True)
class GroupKind:
    """One resource allow/deny list entry; ``group`` ``""`` is the core group."""

    group: str
    kind: str


@dataclass(frozen=True)
class SyncWindow:
    """One ``spec.syncWindows[]`` entry."""

    kind: str
    schedule: str
    duration: str
    applications: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()
    manual_sync: bool = False
    time_zone: str = ""
    and_operator: bool = False


@dataclass(frozen=True)
class Project:
    """An AppProject, reduced to the fields enforcement needs.

    ``namespace_resource_whitelist`` is ``None`` when the spec leaves it unset (all
    namespaced kinds allowed); an explicit empty list allows none, as in Argo CD.
    """

    name: str
    source_repos: tuple[str, ...] = ()
    destinations: tuple[Destination, ...] = ()
    cluster_resource_whitelist: tuple[GroupKind, ...] = ()
    cluster_resource_blacklist: tuple[GroupKind, ...] = ()
    namespace_resource_whitelist: tuple[GroupKind, ...] | None = None
    namespace_resource_blacklist: tuple[GroupKind, ...] = ()
    sync_windows: tuple[SyncWindow, ...] = field(default=())

    @classmethod
    def default(cls) -> Project:
        """The built-in ``default`` project, which allows everything."""
        return cls.from_spec(DEFAULT_PROJECT, {})

    @classmethod
    def from_spec(cls, name: str, spec: Mapping[str, Any] | None) -> Project:
        """Parse an AppProject ``spec``.

        For the ``default`` project the fields Argo CD seeds it with (``sourceRepos``,
        ``destinations``, ``clusterResourceWhitelist``) default to "everything" when
        absent from the spec; present fields are honoured as written.
        """
        spec = spec if isinstance(spec, Mapping) else {}
        is_default = name == DEFAULT_PROJECT
        repos = _strings(spec.get("sourceRepos"))
        if "sourceRepos" not in spec and is_default:
            repos = ("*",)
        dests = tuple(
            Destination(
                server=str(d.get("server") or ""),
                name=str(d.get("name") or ""),
                namespace=str(d.get("namespace") or ""),
            )
            for d in _mappings(spec.get("destinations"))
        )
        if "destinations" not in spec and is_default:
            dests = (Destination(server="*", name="*", namespace="*"),)
        cluster_white = _group_kinds(spec.get("clusterResourceWhitelist"))
        if "clusterResourceWhitelist" not in spec and is_default:
            cluster_white = (GroupKind("*", "*"),)
        ns_white_raw = spec.get("namespaceResourceWhitelist")
        return cls(
            name=name,
            source_repos=repos,
            destinations=dests,
            cluster_resource_whitelist=cluster_white,
            cluster_resource_blacklist=_group_kinds(spec.get("clusterResourceBlacklist")),
            namespace_resource_whitelist=(
                None if ns_white_raw is None else _group_kinds(ns_white_raw)
            ),
            namespace_resource_blacklist=_group_kinds(spec.get("namespaceResourceBlacklist")),
            sync_windows=tuple(_window(w) for w in _mappings(spec.get("syncWindows"))),
        )


def _strings(value: object) -> tuple[str, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        return ()
    return tuple(str(v) for v in value if v is not None)


def _mappings(value: object) -> tuple[Mapping[str, Any], ...]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        return ()
    return tuple(v for v in value if isinstance(v, Mapping))


def _group_kinds(value: object) -> tuple[GroupKind, ...]:
    return tuple(
        GroupKind(group=str(v.get("group") or ""), kind=str(v.get("kind") or ""))
        for v in _mappings(value)
    )


def _window(raw: Mapping[str, Any]) -> SyncWindow:
    return SyncWindow(
        kind=str(raw.get("kind") or ""),
        schedule=str(raw.get("schedule") or ""),
        duration=str(raw.get("duration") or ""),
        applications=_strings(raw.get("applications")),
        namespaces=_strings(raw.get("namespaces")),
        clusters=_strings(raw.get("clusters")),
        manual_sync=bool(raw.get("manualSync")),
        time_zone=str(raw.get("timeZone") or ""),
        and_operator=bool(raw.get("andOperator")),
    )
