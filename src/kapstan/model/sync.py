"""Sync vocabulary: phases, hook types, delete policies, operation phases and result codes.

Values are spelled exactly as Argo CD writes them in ``status.operationState``.
"""

from __future__ import annotations

from enum import Enum, StrEnum


class SyncPhase(StrEnum):
    """The phase a sync task runs in (gitops-engine ``SyncPhase``)."""

    PRE_SYNC = "PreSync"
    SYNC = "Sync"
    POST_SYNC = "PostSync"
    SYNC_FAIL = "SyncFail"

    @property
    def order(self) -> int:
        """Sort position: PreSync -1, Sync 0, PostSync 1, SyncFail 2."""
        return _PHASE_ORDER[self]


_PHASE_ORDER = {
    SyncPhase.PRE_SYNC: -1,
    SyncPhase.SYNC: 0,
    SyncPhase.POST_SYNC: 1,
    SyncPhase.SYNC_FAIL: 2,
}


class HookType(StrEnum):
    """Values of ``argocd.argoproj.io/hook``."""

    PRE_SYNC = "PreSync"
    SYNC = "Sync"
    POST_SYNC = "PostSync"
    SYNC_FAIL = "SyncFail"
    SKIP = "Skip"
    PRE_DELETE = "PreDelete"
    POST_DELETE = "PostDelete"


class HookDeletePolicy(StrEnum):
    """Values of ``argocd.argoproj.io/hook-delete-policy``."""

    HOOK_SUCCEEDED = "HookSucceeded"
    HOOK_FAILED = "HookFailed"
    BEFORE_HOOK_CREATION = "BeforeHookCreation"


class OperationPhase(StrEnum):
    """``status.operationState.phase`` and ``syncResult.resources[].hookPhase``."""

    RUNNING = "Running"
    TERMINATING = "Terminating"
    FAILED = "Failed"
    ERROR = "Error"
    SUCCEEDED = "Succeeded"

    @property
    def completed(self) -> bool:
        """True for the phases after which nothing more happens."""
        return self in (OperationPhase.FAILED, OperationPhase.ERROR, OperationPhase.SUCCEEDED)


class ResultCode(StrEnum):
    """``syncResult.resources[].status``."""

    SYNCED = "Synced"
    SYNC_FAILED = "SyncFailed"
    PRUNED = "Pruned"
    PRUNE_SKIPPED = "PruneSkipped"


class Propagation(Enum):
    """How dependents are deleted (``DeleteOptions.propagationPolicy``)."""

    foreground = "Foreground"
    background = "Background"
    orphan = "Orphan"
