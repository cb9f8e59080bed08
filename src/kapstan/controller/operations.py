"""Running the ``operation`` of an Application: sync, rollback, terminate, resume, history.

Contract of :func:`run_operation`:

- the operation is the top-level ``operation`` field (Argo CD's ``Operation``: ``sync`` with
  ``revision(s)``, ``prune``, ``dryRun``, ``resources``, ``syncOptions``, ``source`` — the
  rollback form — plus ``initiatedBy`` and ``retry``); with ``resume`` it is taken from
  ``status.operationState.operation`` and the saved step progress, so an operation a
  stopped controller left ``Running`` continues where it was instead of starting over;
- ``status.operationState`` (Argo CD's shape plus ``progress``, Kapstan's resume point) is
  written as the operation goes, at most every :data:`FLUSH_DELAY` and before a hook is
  created; its end (final state and history) is returned to the caller, which writes it
  with the comparison after the operation, removing the ``operation`` field
  (:mod:`kapstan.controller.ending`): an operation done within that delay writes nothing
  of its own;
- ``terminate`` set (the API or ``kubectl`` wrote ``operationState.phase: Terminating``)
  stops the sync between steps; the phase reads ``Terminating`` until it has stopped;
- a successful, complete (not dry-run, not selective) sync is appended to ``status.history``
  (:mod:`kapstan.engine.history`);
- failed syncs are retried per ``operation.retry`` (else ``syncPolicy.retry``);
- a render error ends the operation in phase ``Error`` and touches nothing in the cluster;
- the sync is planned on the cluster's watch cache once it is synced (API lists before),
  with the current settings (tracking method, health customizations, ignore rules for
  ``RespectIgnoreDifferences``: argocd-cm's plus the app's ``spec.ignoreDifferences``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from kapstan.controller.reconciler import excluded_filter, ignore_rules, needs_managed_fields
from kapstan.controller.sync import run_with_retry
from kapstan.engine.compare import exclude
from kapstan.engine.conditions import error_conditions, rfc3339
from kapstan.engine.history import next_entry, recorded, trimmed
from kapstan.engine.ignore import IgnoreConfigError, IgnoreRule
from kapstan.engine.pairing import with_namespace
from kapstan.engine.sync.plan import PlanError, SyncPlan, build_plan
from kapstan.engine.sync.retry import RetryPolicy
from kapstan.engine.sync.state import OperationState
from kapstan.kube.errors import KubeError, NotFound
from kapstan.model.application import Application
from kapstan.model.operation import SyncOperation
from kapstan.model.sync import OperationPhase
from kapstan.services.clusters import Target
from kapstan.services.livestate import ManagedFields, from_api, from_cache, shared_with_others
from kapstan.services.manifests import ManifestGenerationError, ManifestSource
from kapstan.services.settings import Settings

log = logging.getLogger(__name__)
WINDOW_BLOCKED = "Sync operation blocked by sync window"  # Argo CD's wording
FLUSH_DELAY = 1.0  # seconds: progress writes of one operation are at most this frequent
# write(status fields): one JSON patch setting ``status.<key>`` for each field, leaving
# ``operation`` alone (the caller writes the end, which removes it).
StatusWriter = Callable[[Mapping[str, Any]], Awaitable[dict[str, Any]]]


def now() -> str:
    return rfc3339(datetime.now(UTC))


def held_state(operation: Mapping[str, Any], stamp: str) -> dict[str, Any]:
    """The ``operationState`` of a sync that a sync window does not allow yet: Argo CD keeps
    it Running with :data:`WINDOW_BLOCKED` and starts it once a window allows."""
    return {
        "operation": dict(operation),
        "phase": OperationPhase.RUNNING.value,
        "message": WINDOW_BLOCKED,
        "startedAt": stamp,
    }


def refused_state(
    operation: Mapping[str, Any], conditions: Sequence[Mapping[str, Any]], stamp: str
) -> dict[str, Any]:
    """The ``operationState`` of an operation on an app with an invalid spec: it ends at once
    in phase Error, its message listing the error conditions (Argo CD's ``SyncAppState``)."""
    errors = error_conditions(conditions)
    return {
        "operation": dict(operation),
        "phase": OperationPhase.ERROR.value,
        "message": "; ".join(errors) or "invalid application spec",
        "startedAt": stamp,
        "finishedAt": stamp,
    }


class PlanFailed(Exception):
    """The operation cannot be planned (render error, bad plan); ends in phase Error."""


class _Store:
    """The runner's :class:`StateStore`; ``changed`` tells the flusher to write it out."""

    def __init__(self, state: OperationState | None) -> None:
        self.state = state
        self.changed = asyncio.Event()
        self.written: dict[str, Any] | None = None  # the Application after the last flush
        self.flush: Callable[[], Awaitable[None]] | None = None

    async def persist(self) -> None:
        """Write the last saved state now (before a hook is created)."""
        if self.flush is not None:
            await self.flush()

    def load(self) -> OperationState | None:
        return self.state

    def save(self, state: OperationState) -> None:
        self.state = state
        self.changed.set()


def operation_state_dict(
    state: OperationState,
    operation: Mapping[str, Any],
    *,
    revision: str,
    source: Mapping[str, Any],
    started_at: str,
    finished_at: str = "",
    terminating: bool = False,
) -> dict[str, Any]:
    """Argo CD's ``status.operationState`` for ``state`` (``progress`` kept for resuming)."""
    data = state.to_dict()
    if terminating and state.phase is OperationPhase.RUNNING:
        data["phase"] = OperationPhase.TERMINATING.value
    if not data.get("retryCount"):
        data.pop("retryCount", None)  # omitted when zero, as Argo CD's omitempty does
    data["operation"] = dict(operation)
    data["syncResult"]["revision"] = revision
    data["syncResult"]["source"] = dict(source)
    data["startedAt"] = started_at
    if finished_at:
        data["finishedAt"] = finished_at
        data.pop("progress", None)
    return data


class OperationRunner:
    """Runs operations for one controller (see the module contract)."""

    def __init__(self, generator: ManifestSource, settings: Callable[[], Settings]) -> None:
        self.generator = generator
        self.settings = settings
        self.managed_fields = ManagedFields()
        self.count = 0  # operations finished (for tests and logs)

    async def run(
        self,
        app: dict[str, Any],
        target: Target,
        write: StatusWriter,
        terminate: asyncio.Event,
        *,
        resume: bool = False,
    ) -> dict[str, Any]:
        """Run (or resume) the app's ``operation`` to its end; returns the end's status
        fields (``operationState``, and ``history`` for a recorded sync), not yet written.

        The ``Running`` state is written by the progress flusher, so an operation that ends
        within :data:`FLUSH_DELAY` (and creates no hook, which is persisted first) costs no
        write at its start: the app's ``operation`` already tells it is on its way. The
        caller writes the end, removing ``operation`` in the same write.
        """
        spec = app.get("spec") or {}
        name = str(app["metadata"]["name"])
        previous = (app.get("status") or {}).get("operationState") or {}
        operation: Mapping[str, Any] = (
            previous.get("operation") if resume else app.get("operation")
        ) or {}
        sync_op = operation.get("sync") or {}
        source = dict(sync_op.get("source") or spec.get("source") or {})
        revision = str(sync_op.get("revision") or "")
        started = str(previous.get("startedAt") or now()) if resume else now()
        store = _Store(OperationState.from_dict(previous) if resume else None)

        def state_dict(state: OperationState, finished: str = "") -> dict[str, Any]:
            return operation_state_dict(
                state,
                operation,
                revision=revision,
                source=source,
                started_at=started,
                finished_at=finished,
                terminating=terminate.is_set(),
            )

        if not resume:
            store.save(OperationState())  # Running, for the flusher
        options = [
            str(o)
            for o in sync_op.get("syncOptions")
            or (spec.get("syncPolicy") or {}).get("syncOptions")
            or []
        ]

        settings = self.settings()
        try:
            rules = ignore_rules(settings, app)
        except IgnoreConfigError as err:
            rules, rules_error = (), f"invalid spec.ignoreDifferences: {err}"
        else:
            rules_error = ""

        async def make_plan() -> SyncPlan:
            nonlocal revision
            if rules_error:
                raise PlanFailed(rules_error)
            plan, revision = await self._plan(
                app, target, source, revision, sync_op, options, rules
            )
            return plan

        policy = RetryPolicy.from_spec(
            operation.get("retry") or (spec.get("syncPolicy") or {}).get("retry")
        )
        flusher = asyncio.create_task(self._flush(store, write, state_dict))
        try:
            final, _ = await run_with_retry(
                target.kube,
                make_plan,
                store,
                policy,
                terminate=terminate,
                poll=0.5,
                app_name=name,
                app_options=options,
                ignore_rules=rules,
                health_config=settings.health,
                discovery=target.discovery,
                tracking=settings.tracking,
                server_dry_run=settings.server_dry_run,
            )
        except PlanFailed as err:
            final = OperationState(phase=OperationPhase.ERROR, message=str(err))
        finally:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
        finished = now()
        self.count += 1
        fields: dict[str, Any] = {"operationState": state_dict(final, finished)}
        if recorded(final.phase is OperationPhase.SUCCEEDED, sync_op):
            latest = store.written or app
            history = list((latest.get("status") or {}).get("history") or [])
            history.append(
                next_entry(
                    history,
                    operation,
                    revision=revision,
                    deployedAt=finished,
                    deployStartedAt=started,
                    source=source,
                )
            )
            fields["history"] = trimmed(history, Application.of(app).spec.revision_history_limit)
        log.info("application %s: operation %s: %s", name, final.phase, final.message)
        return fields

    async def _flush(self, store: _Store, write: StatusWriter, state_dict: Any) -> None:
        lock = asyncio.Lock()

        async def flush_now() -> None:
            async with lock:
                store.changed.clear()
                if store.state is not None:
                    with contextlib.suppress(KubeError):
                        store.written = await write({"operationState": state_dict(store.state)})

        store.flush = flush_now
        while True:
            await store.changed.wait()
            # Progress is written at most every FLUSH_DELAY: a quick sync costs no extra
            # write, a long one shows its progress; hooks are flushed at once (persist).
            await asyncio.sleep(FLUSH_DELAY)
            if store.changed.is_set():
                await flush_now()

    async def _plan(
        self,
        app: Mapping[str, Any],
        target: Target,
        source: Mapping[str, Any],
        revision: str,
        sync_op: Mapping[str, Any],
        options: list[str],
        rules: tuple[IgnoreRule, ...],
    ) -> tuple[SyncPlan, str]:
        spec = app.get("spec") or {}
        name = str(app["metadata"]["name"])
        dest_ns = str((spec.get("destination") or {}).get("namespace") or "")
        single = {**source, "targetRevision": revision} if revision else dict(source)
        try:
            generated = await self.generator.generate(
                app_name=name,
                namespace=dest_ns,
                source=None if spec.get("sources") else single,
                sources=spec.get("sources"),
            )
        except ManifestGenerationError as err:
            raise PlanFailed(str(err)) from err
        revision = generated.revisions[0] if generated.revisions else revision
        model = await target.discovery.model()

        allowed, _ = exclude(generated.objects, excluded_filter(self.settings(), target))
        desired = [with_namespace(o, dest_ns, model.namespaced) for o in allowed]
        # Like gitops-engine, plan on the watch cache when it is ready: it lags by moments at
        # most, and applying is idempotent (a missed object is created again or pruned later).
        tracking = self.settings().tracking
        cached = await from_cache(target.cache, target.kube, model, name, tracking)
        if cached is None:
            cached = await from_api(target.kube, model, app, desired, tracking)
        live = cached
        wanted = needs_managed_fields(rules)
        if wanted is not None:  # RespectIgnoreDifferences by field manager reads managedFields
            live = await self.managed_fields.complete(target.kube, model, live, wanted)
        if target.cache is not None and target.cache.synced:
            ns_exists = target.cache.get(("", "Namespace", "", dest_ns)) is not None
        else:
            try:
                await target.kube.get(f"/api/v1/namespaces/{dest_ns}")
                ns_exists = True
            except NotFound:
                ns_exists = False
        view = Application.of(app)
        statuses = view.status.resource_statuses()
        selected = list(SyncOperation(sync_op).resources)
        try:
            plan = build_plan(
                desired,
                live,
                statuses=statuses,
                app_options=options,
                resources=selected or None,
                prune=bool(sync_op.get("prune")),
                dry_run=bool(sync_op.get("dryRun")),
                allow_empty=bool(
                    ((spec.get("syncPolicy") or {}).get("automated") or {}).get("allowEmpty")
                ),
                destination_namespace=dest_ns,
                namespace_exists=ns_exists,
                managed_namespace_metadata=(spec.get("syncPolicy") or {}).get(
                    "managedNamespaceMetadata"
                ),
                shared=shared_with_others(target.cache, desired, name),
            )
        except PlanError as err:
            raise PlanFailed(str(err)) from err
        return plan, revision


__all__ = [
    "WINDOW_BLOCKED",
    "OperationRunner",
    "PlanFailed",
    "held_state",
    "operation_state_dict",
    "refused_state",
]
