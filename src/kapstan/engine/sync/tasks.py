"""One unit of sync work, and the Argo CD sort order of tasks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kapstan.model.annotations import SyncOptions
from kapstan.model.keys import ResourceKey
from kapstan.model.sync import HookDeletePolicy, HookType, SyncPhase

# Helm's install order, as used by gitops-engine; unknown kinds sort after all of these.
KIND_ORDER: tuple[str, ...] = (
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
)
_KIND_RANK = {kind: index for index, kind in enumerate(KIND_ORDER)}


def kind_rank(kind: str) -> int:
    """Position of ``kind`` in :data:`KIND_ORDER`; unknown kinds rank after every known one."""
    return _KIND_RANK.get(kind, len(KIND_ORDER))


class TaskAction(StrEnum):
    """What the executor does with a task."""

    APPLY = "apply"
    PRUNE = "prune"
    SKIP_PRUNE = "skip-prune"
    CREATE_HOOK = "create-hook"


@dataclass(frozen=True)
class SyncTask:
    """A resource or hook to apply, prune or skip in one phase and wave.

    ``target`` is ``None`` for prunes; ``live`` is ``None`` when nothing exists yet.
    ``skip_dry_run`` is set for CRs whose CRD is in the same sync and for
    ``SkipDryRunOnMissingResource``. ``message`` explains a skipped prune. ``untracked``
    marks the namespace ``CreateNamespace=true`` creates: as in Argo CD it does not belong to
    the app (never OutOfSync, never pruned, kept when the app is deleted).
    """

    key: ResourceKey
    phase: SyncPhase
    wave: int
    kind: str
    name: str
    action: TaskAction
    target: Mapping[str, Any] | None = field(default=None, hash=False, compare=False)
    live: Mapping[str, Any] | None = field(default=None, hash=False, compare=False)
    is_hook: bool = False
    hook_types: tuple[HookType, ...] = ()
    delete_policies: tuple[HookDeletePolicy, ...] = ()
    options: SyncOptions = field(default_factory=SyncOptions)
    skip_dry_run: bool = False
    message: str = ""
    untracked: bool = False  # the CreateNamespace namespace: applied without a tracking id

    @property
    def id(self) -> str:
        """Stable identity within an operation (phase + key); used in saved state."""
        return f"{self.phase}:{self.key}"

    @property
    def version(self) -> str:
        """The API version of the target (or live) object's ``apiVersion``."""
        obj = self.target if self.target is not None else self.live
        api_version = str((obj or {}).get("apiVersion") or "")
        return api_version.rpartition("/")[2]

    @property
    def recreate_before_create(self) -> bool:
        """A hook whose previous instance must be deleted before it is created again."""
        return self.is_hook and HookDeletePolicy.BEFORE_HOOK_CREATION in self.delete_policies

    @property
    def runnable(self) -> bool:
        """Whether the executor does anything with it (skipped prunes only get a result)."""
        return self.action is not TaskAction.SKIP_PRUNE

    def sort_key(self) -> tuple[int, int, int, str, str, str]:
        """phase -> wave -> kind order -> name (then kind and namespace for determinism)."""
        return (
            self.phase.order,
            self.wave,
            kind_rank(self.kind),
            self.name,
            self.kind,
            self.key.namespace,
        )

    def tags(self) -> list[str]:
        """Short markers of everything that changes how the task is executed."""
        opts = self.options
        tags: list[str] = []
        if self.recreate_before_create:
            tags.append("recreate")
        if self.is_hook and HookDeletePolicy.HOOK_SUCCEEDED in self.delete_policies:
            tags.append("delete-on-success")
        if self.is_hook and HookDeletePolicy.HOOK_FAILED in self.delete_policies:
            tags.append("delete-on-failure")
        if self.action is TaskAction.PRUNE:
            if opts.prune_propagation_policy != "foreground":
                tags.append(f"propagation={opts.prune_propagation_policy}")
            return tags
        if self.action is TaskAction.SKIP_PRUNE:
            return tags
        if opts.replace:
            tags.append("replace")
        if opts.force:
            tags.append("force")
        if opts.server_side_apply and not opts.replace:
            tags.append("server-side")
        if not opts.validate:
            tags.append("no-validate")
        if opts.respect_ignore_differences:
            tags.append("respect-ignore")
        if self.skip_dry_run:
            tags.append("skip-dry-run")
        return tags

    def compact(self) -> str:
        """``"PreSync/-1/Job/migrate create-hook recreate"`` — used by tests and logs."""
        text = f"{self.phase}/{self.wave}/{self.kind}/{self.name} {self.action}"
        for tag in self.tags():
            text += f" {tag}"
        if self.message:
            text += f" ({self.message})"
        return text
