"""The resumable sync step machine (gitops-engine ``syncContext.Sync``), kept pure.

The controller calls :func:`next_step` with the plan, the saved :class:`OperationState`
and what it has observed about each task; it performs the returned :class:`Step` (dry-run,
apply, wait, delete hooks), saves the new state and calls again. Completed hooks and
finished waves are recorded in the state, so a restarted controller never re-runs them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from kapstan.engine.sync.plan import SyncPlan, waves
from kapstan.engine.sync.state import OperationState, ResourceResult
from kapstan.engine.sync.tasks import SyncTask, TaskAction
from kapstan.model.sync import HookDeletePolicy, OperationPhase, ResultCode, SyncPhase

SUCCESS_MESSAGE = "successfully synced (all tasks run)"
DRY_RUN_FAILED = "one or more objects failed to apply (dry run)"
TERMINATED = "Operation terminated"
TERMINATION_ERRORS = "Operation termination had errors"


class HookOutcome(StrEnum):
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"


@dataclass(frozen=True)
class TaskObservation:
    """Facts about one task. ``None`` means "not known yet".

    ``dry_run``/``applied`` are the outcomes of the last dry-run/apply of the task;
    ``healthy`` is ``True`` when healthy (or without health), ``False`` when degraded;
    ``hook`` is the hook's progress; ``message`` explains a failure or an apply.
    """

    dry_run: bool | None = None
    applied: bool | None = None
    healthy: bool | None = None
    hook: HookOutcome | None = None
    message: str = ""


@dataclass(frozen=True)
class Observations:
    """Per-task facts keyed by :attr:`SyncTask.id`, plus a terminate request."""

    tasks: Mapping[str, TaskObservation] = field(default_factory=dict)
    terminate: bool = False

    def of(self, task: SyncTask) -> TaskObservation:
        return self.tasks.get(task.id) or TaskObservation()


class StepKind(StrEnum):
    DRY_RUN = "dry-run"
    APPLY = "apply"
    WAIT = "wait"
    DELETE_HOOKS = "delete-hooks"
    TERMINATE = "terminate"
    DONE = "done"


@dataclass(frozen=True)
class Step:
    """What to do next, and the state to save before doing it."""

    kind: StepKind
    state: OperationState
    tasks: tuple[SyncTask, ...] = ()


def _runnable(plan: SyncPlan, *, sync_fail: bool) -> list[SyncTask]:
    return [t for t in plan.tasks if t.runnable and (t.phase is SyncPhase.SYNC_FAIL) == sync_fail]


def next_step(
    plan: SyncPlan, state: OperationState, observations: Observations | None = None
) -> Step:
    """Decide the next step of the operation from its plan, saved state and observations."""
    obs = observations or Observations()
    if state.phase.completed:
        return Step(StepKind.DONE, state)
    if state.phase is OperationPhase.TERMINATING:
        return _terminated(plan, state, obs)
    if obs.terminate:
        terminating = dataclasses.replace(state, phase=OperationPhase.TERMINATING)
        return Step(StepKind.TERMINATE, terminating, tuple(_running_hooks(plan, state)))
    for task in plan.tasks:
        if not task.runnable and state.result_for(task) is None:
            skipped = ResourceResult.for_task(task, ResultCode.PRUNE_SKIPPED, task.message)
            state = state.with_result(skipped)
    if not state.dry_run_done:
        return _dry_run(plan, state, obs)
    if state.failing:
        return _sync_fail(plan, state, obs)
    return _advance(plan, state, obs)


def _dry_run(plan: SyncPlan, state: OperationState, obs: Observations) -> Step:
    tasks = [t for t in _runnable(plan, sync_fail=False) if not t.skip_dry_run]
    if any(obs.of(t).dry_run is None for t in tasks):
        return Step(StepKind.DRY_RUN, state, tuple(tasks))
    failed = [t for t in tasks if obs.of(t).dry_run is False]
    for task in failed:
        failure = ResourceResult.for_task(task, ResultCode.SYNC_FAILED, obs.of(task).message)
        state = state.with_result(failure)
    state = dataclasses.replace(state, dry_run_done=True)
    if failed:
        return _fail(plan, state, obs, DRY_RUN_FAILED)
    if plan.dry_run:
        for task in _runnable(plan, sync_fail=False):
            code = ResultCode.PRUNED if task.action is TaskAction.PRUNE else ResultCode.SYNCED
            state = state.with_result(ResourceResult.for_task(task, code, "(dry run)"))
        return Step(StepKind.DONE, _end(state, OperationPhase.SUCCEEDED, SUCCESS_MESSAGE))
    return _advance(plan, state, obs)


def _record_applies(
    tasks: Sequence[SyncTask], state: OperationState, obs: Observations
) -> tuple[OperationState, list[SyncTask], list[SyncTask]]:
    """Record apply outcomes; return (state, tasks still to apply, tasks that failed)."""
    to_apply: list[SyncTask] = []
    failed: list[SyncTask] = []
    for task in tasks:
        if task.id in state.applied:
            continue
        seen = obs.of(task)
        if seen.applied is None:
            to_apply.append(task)
            continue
        state = state.add("applied", task.id)
        if not seen.applied:
            failed.append(task)
            result = ResourceResult.for_task(
                task,
                ResultCode.SYNC_FAILED,
                seen.message,
                OperationPhase.FAILED if task.is_hook else None,
            )
        elif task.action is TaskAction.PRUNE:
            result = ResourceResult.for_task(task, ResultCode.PRUNED, seen.message or "pruned")
        else:
            hook_phase = OperationPhase.RUNNING if task.is_hook else None
            result = ResourceResult.for_task(task, ResultCode.SYNCED, seen.message, hook_phase)
        state = state.with_result(result)
    return state, to_apply, failed


def _wait(
    tasks: Sequence[SyncTask], state: OperationState, obs: Observations
) -> tuple[OperationState, list[SyncTask], list[SyncTask]]:
    """Record health and hook outcomes; return (state, still pending, failed)."""
    pending: list[SyncTask] = []
    failed: list[SyncTask] = []
    for task in tasks:
        seen = obs.of(task)
        if task.is_hook:
            if task.id in state.completed_hooks or task.id in state.failed_hooks:
                continue
            earlier = state.result_for(task)
            if earlier is not None and earlier.status is ResultCode.SYNC_FAILED:
                continue  # it was never created
            if seen.hook is HookOutcome.SUCCEEDED:
                state = state.add("completed_hooks", task.id)
                phase, code = OperationPhase.SUCCEEDED, ResultCode.SYNCED
            elif seen.hook is HookOutcome.FAILED:
                state = state.add("failed_hooks", task.id)
                failed.append(task)
                phase, code = OperationPhase.FAILED, ResultCode.SYNC_FAILED
            else:
                pending.append(task)
                continue
            state = state.with_result(ResourceResult.for_task(task, code, seen.message, phase))
        elif task.action is TaskAction.APPLY:
            if seen.healthy is False:
                failed.append(task)
                message = seen.message or "resource is degraded"
                state = state.with_result(
                    ResourceResult.for_task(task, ResultCode.SYNC_FAILED, message)
                )
            elif seen.healthy is None:
                pending.append(task)
    return state, pending, failed


def _advance(plan: SyncPlan, state: OperationState, obs: Observations) -> Step:
    groups = waves(_runnable(plan, sync_fail=False))
    for index, (phase, wave, tasks) in enumerate(groups):
        label = f"{phase}/{wave}"
        if label in state.done_waves:
            continue
        state = dataclasses.replace(state, current_phase=phase, current_wave=wave)
        state, to_apply, failed = _record_applies(tasks, state, obs)
        if failed:
            return _fail(plan, state, obs, f"one or more objects failed to apply in {label}")
        if to_apply:
            return Step(StepKind.APPLY, state, tuple(to_apply))
        # As gitops-engine: health gates the next wave (and PostSync), not the end of the
        # operation — after the last wave only hooks are waited for, so a resource still
        # Progressing (an Ingress without an ingress controller) does not hold the sync.
        gated = tasks if index < len(groups) - 1 else tuple(t for t in tasks if t.is_hook)
        state, pending, failed = _wait(gated, state, obs)
        if failed:
            return _fail(plan, state, obs, f"one or more tasks failed in {label}")
        if pending:
            return Step(StepKind.WAIT, state, tuple(pending))
        state = state.add("done_waves", label)
    return _finish(plan, state, OperationPhase.SUCCEEDED, SUCCESS_MESSAGE)


def _fail(plan: SyncPlan, state: OperationState, obs: Observations, message: str) -> Step:
    state = dataclasses.replace(state, failing=True, message=message)
    return _sync_fail(plan, state, obs)


def _sync_fail(plan: SyncPlan, state: OperationState, obs: Observations) -> Step:
    hooks = _runnable(plan, sync_fail=True)
    if hooks:
        state = dataclasses.replace(state, current_phase=SyncPhase.SYNC_FAIL, current_wave=None)
    state, to_apply, _failed = _record_applies(hooks, state, obs)
    if to_apply:
        return Step(StepKind.APPLY, state, tuple(to_apply))
    started = [t for t in hooks if state.result_for(t) is not None and t.id in state.applied]
    state, pending, _failed = _wait(started, state, obs)
    if pending:
        return Step(StepKind.WAIT, state, tuple(pending))
    return _finish(plan, state, OperationPhase.FAILED, state.message)


def _finish(plan: SyncPlan, state: OperationState, phase: OperationPhase, message: str) -> Step:
    if not state.hooks_deleted:
        state = dataclasses.replace(state, hooks_deleted=True)
        doomed = tuple(
            t
            for t in plan.tasks
            if (
                t.id in state.completed_hooks
                and HookDeletePolicy.HOOK_SUCCEEDED in t.delete_policies
            )
            or (t.id in state.failed_hooks and HookDeletePolicy.HOOK_FAILED in t.delete_policies)
        )
        if doomed:
            return Step(StepKind.DELETE_HOOKS, state, doomed)
    return Step(StepKind.DONE, _end(state, phase, message))


def _running_hooks(plan: SyncPlan, state: OperationState) -> list[SyncTask]:
    """Hooks created by this operation that have not finished."""
    done = set(state.completed_hooks) | set(state.failed_hooks)
    return [t for t in plan.tasks if t.is_hook and t.id in state.applied and t.id not in done]


def _terminated(plan: SyncPlan, state: OperationState, obs: Observations) -> Step:
    """Gitops-engine's ``Terminate``: each running hook was deleted (``TERMINATE`` step);
    record it ``Succeeded``/"Deleted", or ``Failed`` when the deletion failed (then the
    operation ends in ``Error``), else ``Failed`` with :data:`TERMINATED`."""
    errors = False
    for task in _running_hooks(plan, state):
        seen = obs.of(task)
        if seen.applied is False:  # the runner's delete of the hook failed
            errors = True
            message = f"Failed to delete: {seen.message}"
            result = ResourceResult.for_task(
                task, ResultCode.SYNCED, message, OperationPhase.FAILED
            )
        else:
            result = ResourceResult.for_task(
                task, ResultCode.SYNCED, "Deleted", OperationPhase.SUCCEEDED
            )
        state = state.with_result(result)
    if errors:
        return Step(StepKind.DONE, _end(state, OperationPhase.ERROR, TERMINATION_ERRORS))
    return Step(StepKind.DONE, _end(state, OperationPhase.FAILED, TERMINATED))


def _end(state: OperationState, phase: OperationPhase, message: str) -> OperationState:
    return dataclasses.replace(state, phase=phase, message=message)
