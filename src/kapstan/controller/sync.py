"""Execute a :class:`~kapstan.engine.sync.plan.SyncPlan` against a cluster.

The pure step machine (:func:`~kapstan.engine.sync.operation.next_step`) decides; this runner
performs each step (dry-run, apply, wait, delete hooks), records what it observed and saves
the operation state through a :class:`StateStore` after every step, so that a new runner
started from the saved state resumes without re-running completed hooks or finished waves.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from kapstan.engine.health import DEFAULT_CONFIG, HealthConfig, assess
from kapstan.engine.ignore import IgnoreRule
from kapstan.engine.respect import preserve_ignored
from kapstan.engine.sync.hooks import hook_outcome
from kapstan.engine.sync.operation import (
    TERMINATED,
    HookOutcome,
    Observations,
    StepKind,
    TaskObservation,
    next_step,
)
from kapstan.engine.sync.plan import SyncPlan
from kapstan.engine.sync.retry import RetryPolicy
from kapstan.engine.sync.state import OperationState
from kapstan.engine.sync.tasks import SyncTask, TaskAction
from kapstan.engine.tracking import ANNOTATION_TRACKING, Tracking
from kapstan.kube.apply import Action, Writer
from kapstan.kube.client import KubeClient
from kapstan.kube.discovery import Discovery, UnknownKind
from kapstan.kube.errors import Conflict, KubeError, NotFound
from kapstan.model import annotations as ann
from kapstan.model.health import HealthStatus
from kapstan.model.sync import OperationPhase, Propagation


class StateStore(Protocol):
    """Where the operation state of one sync is persisted. ``save`` may defer the write; a
    store that does should also offer ``async persist()``, which returns once the last
    saved state is stored (the runner calls it before creating hooks)."""

    def load(self) -> OperationState | None: ...

    def save(self, state: OperationState) -> None: ...


async def _persist(store: StateStore) -> None:
    persist = getattr(store, "persist", None)
    if persist is not None:
        await persist()


@dataclass(frozen=True)
class Event:
    """One write the runner did: ``verb`` is apply/create-hook/prune/delete-hook."""

    task_id: str
    verb: str
    phase: str
    wave: int
    kind: str
    name: str
    at: float
    ok: bool
    message: str = ""
    uid: str = ""


# Writes of one step in flight at once for one operation (gitops-engine runs a wave's tasks
# in parallel, bounded by --kubectl-parallelism-limit, default 20).
DEFAULT_PARALLELISM = 8

_PROPAGATION = {
    "foreground": Propagation.foreground,
    "background": Propagation.background,
    "orphan": Propagation.orphan,
}


class SyncRunner:
    """Runs one sync operation; :attr:`events` logs every write with its wall-clock time.

    Resources are written with server-side apply by default (Kapstan's documented choice,
    unlike Argo CD's client-side default): field ownership is tracked by the API server
    under the ``kapstan-controller`` manager. An explicit ``ServerSideApply=false`` (app or
    resource option) selects client-side apply (``last-applied-configuration`` annotation).
    ``Validate=false`` sends ``fieldValidation=Ignore`` so unknown fields are dropped; as
    server-side apply rejects fields missing from the schema whatever ``fieldValidation``
    says, such resources are written with client-side apply (as Argo CD's kubectl does).
    With ``app_name`` every applied object is marked as the app's by ``tracking`` (the
    annotation, the label or both);
    ``ignore_rules`` are the app's ignoreDifferences (for ``RespectIgnoreDifferences``);
    ``health_config`` holds argocd-cm's health customizations, used between waves.
    The writes of one step (the dry runs, a wave's applies) run ``parallelism`` at once,
    Namespaces and then CRDs before the rest.
    The dry-run step sends every object as a server-side dry run when ``server_dry_run`` (or
    the plan is a dry run the user asked for); otherwise it checks each object locally
    (:meth:`Writer.check`: kind served, object named), as gitops-engine's client-side dry
    run does, and the API server's own checks come with the apply.
    """

    def __init__(
        self,
        kube: KubeClient,
        plan: SyncPlan,
        store: StateStore,
        *,
        terminate: asyncio.Event | None = None,
        poll: float = 0.25,
        app_name: str = "",
        app_options: Sequence[str] = (),
        ignore_rules: Sequence[IgnoreRule] = (),
        health_config: HealthConfig = DEFAULT_CONFIG,
        discovery: Discovery | None = None,
        tracking: Tracking = ANNOTATION_TRACKING,
        parallelism: int = DEFAULT_PARALLELISM,
        server_dry_run: bool = False,
    ) -> None:
        self.server_dry_run = server_dry_run or plan.dry_run
        self.health_config = health_config
        self.parallelism = parallelism
        self.tracking = tracking
        self.kube = kube
        self.app_name = app_name
        self.app_options = tuple(app_options)
        self.ignore_rules = tuple(ignore_rules)
        self._names: dict[str, str] = {}
        self.plan = plan
        self.store = store
        # The cluster's shared discovery (a fresh one per sync would re-read /api and /apis).
        self.writer = Writer(kube, discovery or Discovery(kube))
        self.terminate = terminate or asyncio.Event()
        self.poll = poll
        self.events: list[Event] = []
        self._obs: dict[str, TaskObservation] = {}
        self._new_namespaces = {
            t.name for t in plan.tasks if t.kind == "Namespace" and t.target is not None
        }

    async def run(self) -> OperationState:
        """Drive the operation to its end and return the final state."""
        state = self.store.load() or OperationState()
        while True:
            obs = Observations(dict(self._obs), terminate=self.terminate.is_set())
            step = next_step(self.plan, state, obs)
            state = step.state
            self.store.save(state)
            if step.kind is StepKind.DONE:
                return state
            await self._perform(step.kind, step.tasks)

    async def _perform(self, kind: StepKind, tasks: tuple[SyncTask, ...]) -> None:
        """Carry out one step of the machine."""
        if kind is StepKind.DRY_RUN:
            await self._each(tasks, self._dry_run)
        elif kind is StepKind.APPLY:
            if any(t.is_hook for t in tasks):
                # A hook must run once even across a crash: its "started" mark must be
                # stored before it is created, not whenever the store gets to it.
                await _persist(self.store)
            await self._each(tasks, self._apply)
        elif kind is StepKind.WAIT:
            if not await self._observe(tasks):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.terminate.wait(), self.poll)
        elif kind is StepKind.DELETE_HOOKS:
            for task in tasks:
                await self._delete(task, "delete-hook", Propagation.background)
        elif kind is StepKind.TERMINATE:
            for task in tasks:  # running hooks die with the operation (Argo CD)
                await self._delete(task, "terminate-hook", Propagation.background)

    async def _each(
        self, tasks: Sequence[SyncTask], action: Callable[[SyncTask], Awaitable[None]]
    ) -> None:
        """``action`` on every task of one step, at most :attr:`parallelism` at once (as
        gitops-engine runs a wave's tasks in parallel). Namespaces, then CRDs, go first, each
        tier finished before the next starts: the objects of the rest may live in them."""
        slots = asyncio.Semaphore(max(1, self.parallelism))

        async def bounded(task: SyncTask) -> None:
            async with slots:
                await action(task)

        for tier in _tiers(tasks):
            if len(tier) == 1:
                await action(tier[0])
                continue
            async with asyncio.TaskGroup() as group:
                for task in tier:
                    group.create_task(bounded(task))

    def _set(self, task: SyncTask, **changes: Any) -> None:
        self._obs[task.id] = dataclasses.replace(
            self._obs.get(task.id, TaskObservation()), **changes
        )

    def _log(self, task: SyncTask, verb: str, ok: bool, message: str = "", uid: str = "") -> None:
        self.events.append(
            Event(
                task.id,
                verb,
                str(task.phase),
                task.wave,
                task.kind,
                task.name,
                time.time(),
                ok,
                message,
                uid,
            )
        )

    def _client_side(self, task: SyncTask) -> bool:
        options = ann.parse_option_list(self.app_options)
        options.update(ann.resource_option_map(task.target))
        return options.get("ServerSideApply", "").strip().lower() == "false"

    def _desired(self, task: SyncTask) -> dict[str, Any]:
        """The object to write: tracking id set, ignored fields kept from live if asked."""
        assert task.target is not None
        obj = self.tracking.stamp("" if task.untracked else self.app_name, task.target)
        if task.options.respect_ignore_differences and self.ignore_rules:
            obj = preserve_ignored(obj, task.live, task.key, self.ignore_rules)
        return obj

    async def _write(self, task: SyncTask, *, force: bool, dry_run: bool = False) -> Any:
        obj = self._desired(task)
        validation = "Strict" if task.options.validate else "Ignore"
        if self._client_side(task) or not task.options.validate:
            return await self.writer.client_side_apply(
                obj, dry_run=dry_run, field_validation=validation
            )
        return await self.writer.apply(
            obj,
            dry_run=dry_run,
            force=force,
            field_validation=validation,
            # Hooks may have been deleted and re-created since planning: those GET.
            live=task.live,
            live_known=not task.is_hook,
        )

    async def _dry_run(self, task: SyncTask) -> None:
        obj = task.target if task.target is not None else task.live
        assert obj is not None
        owner = self.tracking.app_of(task.live) if task.live is not None else None
        if task.options.fail_on_shared_resource and owner and owner != self.app_name:
            message = f"{task.kind}/{task.name} is part of application {owner}"
            self._set(task, dry_run=False, message=message)
            return
        try:
            if task.action is TaskAction.PRUNE:
                if self.server_dry_run:
                    await self.writer.delete(obj, dry_run=True)
            elif task.is_hook and _generated(obj):
                pass  # generateName hooks cannot be dry-run applied
            elif self.server_dry_run:
                await self._write(task, dry_run=True, force=True)
            else:
                await self.writer.check(obj)
        except (ValueError, UnknownKind) as err:  # an unknown kind is no missing namespace
            self._set(task, dry_run=False, message=str(err))
        except NotFound as err:
            if task.key.namespace in self._new_namespaces:
                self._set(task, dry_run=True)  # its namespace is created by this sync
            else:
                self._set(task, dry_run=False, message=str(err))
        except KubeError as err:
            self._set(task, dry_run=False, message=str(err))
        else:
            self._set(task, dry_run=True)

    async def _apply(self, task: SyncTask) -> None:
        if task.action is TaskAction.PRUNE:
            policy = _PROPAGATION[task.options.prune_propagation_policy]
            await self._delete(task, "prune", policy)
            return
        obj = task.target
        assert obj is not None
        verb = "create-hook" if task.is_hook else "apply"
        opts = task.options
        try:
            if task.is_hook and _generated(obj):
                record = await self.writer.create(self.tracking.stamp(self.app_name, obj))
                actual = str(((record.live or {}).get("metadata") or {}).get("name") or "")
                self._names[task.id] = actual
            elif task.is_hook:
                if task.recreate_before_create:
                    await self._delete_and_wait(obj)
                try:
                    record = await self.writer.create(self._desired(task))
                except Conflict:
                    record = await self.writer.apply(self._desired(task), force=True)
            elif opts.replace:
                try:
                    record = await self.writer.replace(self._desired(task))
                except NotFound:
                    record = await self.writer.create(self._desired(task))
            else:
                # Server-side apply always takes over fields another manager set (Argo CD
                # applies with --force-conflicts): otherwise a live edit could never be healed.
                record = await self._write(task, force=True)
        except KubeError as err:
            self._set(task, applied=False, message=str(err))
            self._log(task, verb, False, str(err))
            return
        if task.kind == "CustomResourceDefinition":
            self.writer.discovery.invalidate()
        uid = str(((record.live or {}).get("metadata") or {}).get("uid") or "")
        name = self._names.get(task.id, task.name)
        message = f"{task.kind.lower()}/{name} {record.action.value}"
        self._set(task, applied=True, message=message)
        self._log(task, verb, True, message, uid)

    def _named(self, task: SyncTask) -> Mapping[str, Any]:
        """The task's object, named as created (``generateName`` hooks get a real name)."""
        obj = task.live if task.target is None else task.target
        assert obj is not None
        actual = self._names.get(task.id)
        if actual is None:
            return obj
        return {**obj, "metadata": {**(obj.get("metadata") or {}), "name": actual}}

    async def _delete(self, task: SyncTask, verb: str, propagation: Propagation) -> None:
        obj = self._named(task)
        if not str((obj.get("metadata") or {}).get("name") or ""):
            self._set(task, applied=True, message="never created")
            return
        try:
            record = await self.writer.delete(obj, propagation=propagation)
        except KubeError as err:
            self._set(task, applied=False, message=str(err))
            self._log(task, verb, False, str(err))
            return
        message = "pruned" if record.action is Action.deleted else "already gone"
        self._set(task, applied=True, message=message)
        self._log(task, verb, True, message)

    async def _delete_and_wait(self, obj: Mapping[str, Any], timeout: float = 60.0) -> None:
        record = await self.writer.delete(obj, propagation=Propagation.background)
        if record.action is Action.skipped:
            return
        deadline = time.monotonic() + timeout
        while await self._get(obj) is not None and time.monotonic() < deadline:
            await asyncio.sleep(self.poll)

    async def _get(self, obj: Mapping[str, Any]) -> dict[str, Any] | None:
        info = await self.writer.discovery.for_object(obj)
        meta = obj.get("metadata") or {}
        ns = str(meta.get("namespace") or "") if info.namespaced else ""
        try:
            return await self.kube.get(info.path(ns, str(meta.get("name") or "")))
        except NotFound:
            return None

    async def _observe(self, tasks: tuple[SyncTask, ...]) -> bool:
        """Look at each pending task; True when anything was settled."""
        settled = False
        for task in tasks:
            assert task.target is not None
            live = await self._get(self._named(task))
            if live is None:
                continue
            if task.is_hook:
                outcome, message = hook_outcome(live, self.health_config)
                if outcome is not HookOutcome.RUNNING:
                    settled = True
                self._set(task, hook=outcome, message=message)
                continue
            health = assess(live, self.health_config)
            if health is None or health.status in (HealthStatus.HEALTHY, HealthStatus.SUSPENDED):
                self._set(task, healthy=True)
                settled = True
            elif health.status is HealthStatus.DEGRADED:
                self._set(task, healthy=False, message=health.message)
                settled = True
        return settled


_FIRST_TIERS = ("Namespace", "CustomResourceDefinition")


def _tiers(tasks: Sequence[SyncTask]) -> list[list[SyncTask]]:
    """``tasks`` in the order they may run: Namespaces, CRDs, then all the rest (plan order
    kept within each tier; empty tiers left out)."""
    tiers: list[list[SyncTask]] = [[] for _ in range(len(_FIRST_TIERS) + 1)]
    for task in tasks:
        rank = _FIRST_TIERS.index(task.kind) if task.kind in _FIRST_TIERS else len(_FIRST_TIERS)
        tiers[rank].append(task)
    return [tier for tier in tiers if tier]


def _generated(obj: Mapping[str, Any]) -> bool:
    meta = obj.get("metadata") or {}
    return not meta.get("name") and bool(meta.get("generateName"))


async def run_with_retry(
    kube: KubeClient,
    make_plan: Callable[[], Awaitable[SyncPlan]],
    store: StateStore,
    policy: RetryPolicy,
    *,
    terminate: asyncio.Event | None = None,
    **runner_options: Any,
) -> tuple[OperationState, list[SyncRunner]]:
    """``syncPolicy.retry``: re-plan and re-run a failed operation with backoff.

    Each retry starts from a fresh state carrying ``retry_count``; a terminated operation
    is never retried, and at most ``policy.limit`` retries are made.
    """
    stop = terminate or asyncio.Event()
    runners: list[SyncRunner] = []
    while True:
        runner = SyncRunner(kube, await make_plan(), store, terminate=stop, **runner_options)
        runners.append(runner)
        state = await runner.run()
        retryable = state.phase is OperationPhase.FAILED and state.message != TERMINATED
        if not retryable or not policy.allows(state.retry_count) or stop.is_set():
            return state, runners
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), policy.delay(state.retry_count))
        if stop.is_set():
            return state, runners
        store.save(OperationState(retry_count=state.retry_count + 1))
