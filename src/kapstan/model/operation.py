"""Typed views of an Application's ``operation`` and ``status.operationState``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kapstan.model.fields import as_bool, as_list, as_map, as_str, resource_key_of
from kapstan.model.keys import ResourceKey
from kapstan.model.sync import OperationPhase


@dataclass(frozen=True)
class SyncOperation:
    """``operation.sync`` (Argo CD's ``SyncOperation``)."""

    raw: Mapping[str, Any]

    @property
    def revision(self) -> str:
        return as_str(self.raw.get("revision"))

    @property
    def prune(self) -> bool:
        return as_bool(self.raw.get("prune"))

    @property
    def dry_run(self) -> bool:
        return as_bool(self.raw.get("dryRun"))

    @property
    def resources(self) -> tuple[ResourceKey, ...]:
        """Selected resources of a selective sync (empty: all)."""
        return tuple(
            resource_key_of(r) for r in as_list(self.raw.get("resources")) if isinstance(r, Mapping)
        )

    @property
    def sync_options(self) -> tuple[str, ...]:
        return tuple(as_str(o) for o in as_list(self.raw.get("syncOptions")))

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
        return SyncOperation(as_map(self.raw.get("sync")))

    @property
    def automated(self) -> bool:
        """Started by automated sync (``initiatedBy.automated``)."""
        return as_bool(as_map(self.raw.get("initiatedBy")).get("automated"))

    @property
    def username(self) -> str:
        return as_str(as_map(self.raw.get("initiatedBy")).get("username"))

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
            return OperationPhase(as_str(self.raw.get("phase")))
        except ValueError:
            return None

    @property
    def message(self) -> str:
        return as_str(self.raw.get("message"))

    @property
    def operation(self) -> Operation:
        return Operation(as_map(self.raw.get("operation")))

    @property
    def started(self) -> bool:
        """Kapstan's resume point is present: the operation began running its steps."""
        return bool(self.raw.get("progress"))

    @property
    def in_progress(self) -> bool:
        return self.phase in (OperationPhase.RUNNING, OperationPhase.TERMINATING)


__all__ = ["Operation", "OperationState", "SyncOperation"]
