"""Build the ordered task list of a sync operation (gitops-engine ``getSyncTasks`` + sort).

Inputs are plain-dict manifests whose namespaces are already resolved (the destination
namespace applied); nothing here talks to a cluster.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kapstan.engine.sync.order import move_dependencies, reverse_prune_waves
from kapstan.engine.sync.tasks import SyncTask, TaskAction
from kapstan.model import annotations as ann
from kapstan.model.keys import ResourceKey
from kapstan.model.status import SyncStatusCode
from kapstan.model.sync import HookType, SyncPhase

_HOOK_PHASES = {
    HookType.PRE_SYNC: SyncPhase.PRE_SYNC,
    HookType.SYNC: SyncPhase.SYNC,
    HookType.POST_SYNC: SyncPhase.POST_SYNC,
    HookType.SYNC_FAIL: SyncPhase.SYNC_FAIL,
}


class PlanError(ValueError):
    """The operation cannot be planned (bad annotation, empty-prune safety, shared resource)."""


@dataclass(frozen=True)
class SyncPlan:
    """The sorted tasks of one operation; ``dry_run`` plans are only ever dry-run applied."""

    tasks: tuple[SyncTask, ...]
    dry_run: bool = False

    def compact(self) -> list[str]:
        """The tasks as compact strings, in order."""
        return [task.compact() for task in self.tasks]


Wave = tuple[SyncPhase, int, tuple[SyncTask, ...]]


def waves(plan: SyncPlan | Sequence[SyncTask]) -> list[Wave]:
    """Group tasks by (phase, wave) in plan order (first appearance of each pair)."""
    tasks = plan.tasks if isinstance(plan, SyncPlan) else plan
    groups: dict[tuple[SyncPhase, int], list[SyncTask]] = {}
    for task in tasks:
        groups.setdefault((task.phase, task.wave), []).append(task)
    return [(phase, wave, tuple(group)) for (phase, wave), group in groups.items()]


def _name(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return str(meta.get("name") or meta.get("generateName") or "")


def _wave(obj: Mapping[str, Any], key: ResourceKey) -> int:
    try:
        return ann.sync_wave(obj)
    except ann.AnnotationError as err:
        raise PlanError(f"{key}: {err}") from None


def _options(
    app_options: Sequence[str], obj: Mapping[str, Any], key: ResourceKey
) -> ann.SyncOptions:
    try:
        return ann.SyncOptions.merged(app_options, obj)
    except ann.AnnotationError as err:
        raise PlanError(f"{key}: {err}") from None


def _target_tasks(
    desired: Iterable[Mapping[str, Any]],
    live: Mapping[ResourceKey, Any],
    app_options: Sequence[str],
    selective: bool,
) -> list[SyncTask]:
    tasks: list[SyncTask] = []
    for obj in desired:
        key = ResourceKey.from_obj(obj)
        if ann.is_skip(obj):
            continue
        base = SyncTask(
            key=key,
            phase=SyncPhase.SYNC,
            wave=_wave(obj, key),
            kind=key.kind,
            name=_name(obj),
            action=TaskAction.APPLY,
            target=obj,
            live=live.get(key),
            options=_options(app_options, obj, key),
        )
        if not ann.is_hook(obj):
            tasks.append(base)
            continue
        if selective:
            continue  # selective syncs never run hooks
        types = ann.hook_types(obj)
        policies = ann.delete_policies(obj)
        for hook_type in types:
            phase = _HOOK_PHASES.get(hook_type)
            if phase is None:
                continue  # PreDelete / PostDelete run on app deletion, not on sync
            tasks.append(
                dataclasses.replace(
                    base,
                    phase=phase,
                    action=TaskAction.CREATE_HOOK,
                    is_hook=True,
                    hook_types=types,
                    delete_policies=policies,
                )
            )
    return tasks


def _prune_task(
    obj: Mapping[str, Any],
    key: ResourceKey,
    app_options: Sequence[str],
    prune: bool,
    deletion_approved: bool,
) -> SyncTask:
    options = _options(app_options, obj, key)
    message = ""
    if not prune:
        message = "ignored (requires pruning)"
    elif options.prune == "false":
        message = "ignored (no prune)"
    elif options.prune == "confirm" and not deletion_approved:
        message = "waiting for deletion confirmation (Prune=confirm)"
    elif options.delete == "false":
        message = "ignored (Delete=false)"
    return SyncTask(
        key=key,
        phase=SyncPhase.SYNC,
        wave=_wave(obj, key),
        kind=key.kind,
        name=key.name,
        action=TaskAction.SKIP_PRUNE if message else TaskAction.PRUNE,
        live=obj,
        options=options,
        message=message,
    )


def build_plan(
    desired: Sequence[Mapping[str, Any]],
    live: Sequence[Mapping[str, Any]],
    *,
    statuses: Mapping[ResourceKey, SyncStatusCode] | None = None,
    app_options: Sequence[str] = (),
    resources: Collection[ResourceKey] | None = None,
    prune: bool = False,
    dry_run: bool = False,
    allow_empty: bool = False,
    destination_namespace: str = "",
    namespace_exists: bool = False,
    shared: Mapping[ResourceKey, str] | None = None,
    deletion_approved: bool = False,
    managed_namespace_metadata: Mapping[str, Any] | None = None,
) -> SyncPlan:
    """Plan a sync of ``desired`` over the app's tracked ``live`` objects.

    ``statuses`` are per-resource sync statuses (for ``ApplyOutOfSyncOnly``), ``resources``
    the selective-sync list, ``shared`` maps resources tracked by another app to its name.
    ``managed_namespace_metadata`` (``labels``/``annotations``) is set on a namespace
    created by ``CreateNamespace=true``.
    """
    try:
        app_opts = ann.SyncOptions.from_map(ann.parse_option_list(app_options))
    except ann.AnnotationError as err:
        raise PlanError(f"spec.syncPolicy.syncOptions: {err}") from None
    live_by_key = {ResourceKey.from_obj(obj): obj for obj in live}
    desired_keys = {ResourceKey.from_obj(obj) for obj in desired}
    tasks = _target_tasks(desired, live_by_key, app_options, resources is not None)
    owners = [
        f"{key} (also tracked by {app})"
        for key, app in (shared or {}).items()
        if key in desired_keys
    ]
    if app_opts.fail_on_shared_resource and owners:
        raise PlanError("shared resource found: " + ", ".join(sorted(owners)))
    prunable = [
        (key, obj)
        for key, obj in live_by_key.items()
        if key not in desired_keys and not ann.is_hook(obj)
    ]
    has_targets = any(not ann.is_hook(obj) and not ann.is_skip(obj) for obj in desired)
    if prune and prunable and not has_targets and not allow_empty:
        raise PlanError(
            f"refusing to prune all {len(prunable)} resources: no target resources "
            "(set syncPolicy.automated.allowEmpty to allow an empty application)"
        )
    for key, obj in prunable:
        tasks.append(_prune_task(obj, key, app_options, prune, deletion_approved))
    tasks = [t for t in tasks if _keep(t, statuses or {}, resources)]
    if app_opts.create_namespace and destination_namespace and not namespace_exists:
        ns_key = ResourceKey("", "Namespace", "", destination_namespace)
        if ns_key not in desired_keys:
            ns_meta: dict[str, Any] = {"name": destination_namespace}
            for part in ("labels", "annotations"):
                values = (managed_namespace_metadata or {}).get(part)
                if values:
                    ns_meta[part] = {str(k): str(v) for k, v in values.items()}
            manifest = {"apiVersion": "v1", "kind": "Namespace", "metadata": ns_meta}
            tasks.append(
                SyncTask(
                    key=ns_key,
                    phase=SyncPhase.PRE_SYNC,
                    wave=0,
                    kind="Namespace",
                    name=destination_namespace,
                    action=TaskAction.APPLY,
                    target=manifest,
                    live=live_by_key.get(ns_key),
                    options=app_opts,
                    untracked=True,
                )
            )
    crds = {_crd_kind(t.target) for t in tasks if t.kind == "CustomResourceDefinition"}
    tasks = [_with_dry_run_flag(t, crds) for t in tasks]
    tasks.sort(key=SyncTask.sort_key)
    tasks = reverse_prune_waves(tasks)
    tasks.sort(key=SyncTask.sort_key)
    return SyncPlan(tasks=tuple(move_dependencies(tasks)), dry_run=dry_run)


def selected(key: ResourceKey, wanted: ResourceKey) -> bool:
    """Argo CD's ``SyncOperationResource.HasIdentity``: group, kind and name must match, the
    namespace only when the selection names one."""
    return (key.group, key.kind, key.name) == (wanted.group, wanted.kind, wanted.name) and (
        not wanted.namespace or wanted.namespace == key.namespace
    )


def _keep(
    task: SyncTask,
    statuses: Mapping[ResourceKey, SyncStatusCode],
    resources: Collection[ResourceKey] | None,
) -> bool:
    if resources is not None and not any(selected(task.key, r) for r in resources):
        return False
    if task.is_hook or task.action is not TaskAction.APPLY:
        return True
    synced = statuses.get(task.key) is SyncStatusCode.SYNCED
    return not (task.options.apply_out_of_sync_only and synced and task.live is not None)


def _crd_kind(obj: Mapping[str, Any] | None) -> str:
    spec = (obj or {}).get("spec") or {}
    return f"{spec.get('group', '')}/{(spec.get('names') or {}).get('kind', '')}"


def _with_dry_run_flag(task: SyncTask, crds: set[str]) -> SyncTask:
    crd_in_sync = f"{task.key.group}/{task.kind}" in crds
    if task.target is not None and (crd_in_sync or task.options.skip_dry_run_on_missing_resource):
        return dataclasses.replace(task, skip_dry_run=True)
    return task
