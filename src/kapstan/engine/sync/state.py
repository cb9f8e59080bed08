"""Serialisable operation state of a sync (``status.operationState`` plus resume progress).

``to_dict`` produces plain JSON-safe data; per-resource results use the field names of
Argo CD's ``syncResult.resources[]``. Progress needed to resume after a restart (dry-run
done, applied tasks, finished waves, completed hooks) is kept under ``progress``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kapstan.engine.sync.tasks import SyncTask
from kapstan.model.sync import OperationPhase, ResultCode, SyncPhase


@dataclass(frozen=True, slots=True)
class ResourceResult:
    """One entry of ``syncResult.resources[]``; ``hook_phase`` is empty for non-hooks."""

    group: str
    version: str
    kind: str
    namespace: str
    name: str
    status: ResultCode
    message: str = ""
    hook_type: str = ""
    hook_phase: OperationPhase | None = None
    sync_phase: SyncPhase = SyncPhase.SYNC

    @property
    def ref(self) -> tuple[str, str, str, str, SyncPhase]:
        """Identity used to replace an earlier result for the same task."""
        return (self.group, self.kind, self.namespace, self.name, self.sync_phase)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "group": self.group,
            "version": self.version,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "status": str(self.status),
            "message": self.message,
            "syncPhase": str(self.sync_phase),
        }
        if self.hook_type:
            data["hookType"] = self.hook_type
        if self.hook_phase is not None:
            data["hookPhase"] = str(self.hook_phase)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ResourceResult:
        hook_phase = data.get("hookPhase")
        return cls(
            group=str(data.get("group", "")),
            version=str(data.get("version", "")),
            kind=str(data.get("kind", "")),
            namespace=str(data.get("namespace", "")),
            name=str(data.get("name", "")),
            status=ResultCode(data["status"]),
            message=str(data.get("message", "")),
            hook_type=str(data.get("hookType", "")),
            hook_phase=OperationPhase(hook_phase) if hook_phase else None,
            sync_phase=SyncPhase(data.get("syncPhase", "Sync")),
        )

    @classmethod
    def for_task(
        cls,
        task: SyncTask,
        status: ResultCode,
        message: str = "",
        hook_phase: OperationPhase | None = None,
    ) -> ResourceResult:
        return cls(
            group=task.key.group,
            version=task.version,
            kind=task.kind,
            namespace=task.key.namespace,
            name=task.name,
            status=status,
            message=message,
            hook_type=str(task.phase) if task.is_hook else "",
            hook_phase=hook_phase,
            sync_phase=task.phase,
        )


@dataclass(frozen=True)
class OperationState:
    """Where a sync operation stands; every update returns a new value."""

    phase: OperationPhase = OperationPhase.RUNNING
    message: str = ""
    resources: tuple[ResourceResult, ...] = ()
    retry_count: int = 0
    current_phase: SyncPhase | None = None
    current_wave: int | None = None
    dry_run_done: bool = False
    failing: bool = False
    hooks_deleted: bool = False
    applied: tuple[str, ...] = ()
    done_waves: tuple[str, ...] = ()
    completed_hooks: tuple[str, ...] = ()
    failed_hooks: tuple[str, ...] = ()

    def with_result(self, result: ResourceResult) -> OperationState:
        """Add ``result``, replacing an earlier one for the same resource and phase."""
        kept = tuple(r for r in self.resources if r.ref != result.ref)
        return dataclasses.replace(self, resources=(*kept, result))

    def result_for(self, task: SyncTask) -> ResourceResult | None:
        ref = (task.key.group, task.kind, task.key.namespace, task.name, task.phase)
        return next((r for r in self.resources if r.ref == ref), None)

    def add(self, field: str, item: str) -> OperationState:
        """Append ``item`` to one of the progress tuples (no duplicates)."""
        current: tuple[str, ...] = getattr(self, field)
        if item in current:
            return self
        changes: dict[str, Any] = {field: (*current, item)}
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "phase": str(self.phase),
            "message": self.message,
            "retryCount": self.retry_count,
            "syncResult": {"resources": [r.to_dict() for r in self.resources]},
            "progress": {
                "currentPhase": None if self.current_phase is None else str(self.current_phase),
                "currentWave": self.current_wave,
                "dryRunDone": self.dry_run_done,
                "failing": self.failing,
                "hooksDeleted": self.hooks_deleted,
                "applied": list(self.applied),
                "doneWaves": list(self.done_waves),
                "completedHooks": list(self.completed_hooks),
                "failedHooks": list(self.failed_hooks),
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OperationState:
        progress = data.get("progress") or {}
        current_phase = progress.get("currentPhase")
        current_wave = progress.get("currentWave")
        return cls(
            phase=OperationPhase(data.get("phase", OperationPhase.RUNNING.value)),
            message=str(data.get("message", "")),
            resources=tuple(
                ResourceResult.from_dict(r)
                for r in (data.get("syncResult") or {}).get("resources") or []
            ),
            retry_count=int(data.get("retryCount", 0)),
            current_phase=SyncPhase(current_phase) if current_phase else None,
            current_wave=None if current_wave is None else int(current_wave),
            dry_run_done=bool(progress.get("dryRunDone")),
            failing=bool(progress.get("failing")),
            hooks_deleted=bool(progress.get("hooksDeleted")),
            applied=tuple(progress.get("applied") or ()),
            done_waves=tuple(progress.get("doneWaves") or ()),
            completed_hooks=tuple(progress.get("completedHooks") or ()),
            failed_hooks=tuple(progress.get("failedHooks") or ()),
        )
