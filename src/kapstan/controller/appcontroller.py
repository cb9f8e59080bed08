"""The application controller: watches, work queue, refresh workers and operations.

Contract of :class:`Controller` (one Application namespace; the cluster of ``kube`` holds the
Applications, AppProjects, settings and cluster secrets):

- :meth:`run` needs the CRDs installed (``kapstan install``; the controller writes none):
  without them it raises :class:`ControllerError` saying so. It starts the live-state caches
  (:class:`~kapstan.services.clusters.Clusters`), watches Applications and AppProjects, and
  runs ``status_processors`` refresh workers until ``stop`` is set; :attr:`ready` turns true
  once the caches are started and the Applications listed;
- a cluster Secret added or removed refreshes every app (destinations appear or go away);
- settings are watched (:class:`~kapstan.services.watched.WatchedSettings`): a change of
  argocd-cm, repository Secrets or the other settings objects takes effect at once — a new
  poll period, health customizations, ignore rules and credentials for the next refresh,
  a new tracking method or resource filter applied to the caches — and every app is
  refreshed;
- refresh triggers: an Application created or changed (spec, operation, annotations,
  finalizers, deletion), a live change to an object the app tracks (cache event: a ``LIVE``
  re-compare of that app only), and Git polling every ``timeout.reconciliation`` plus a
  random share of ``timeout.reconciliation.jitter`` per app (``0`` disables polling, as in
  Argo CD); the ``argocd.argoproj.io/refresh: normal|hard`` annotation asks for one refresh
  of that level and is removed once done; ``argocd.argoproj.io/skip-reconcile: "true"``
  leaves the app alone;
- a refresh that fails unexpectedly never leaves the app silently unreconciled: the error
  is written to the app as an ``UnknownError`` condition and the refresh is retried with
  backoff;
- operations run as their own tasks (at most ``operation_processors`` at once, one per app)
  so that refreshes go on meanwhile; an operation left ``Running`` by a previous controller is
  resumed; ``operationState.phase: Terminating`` terminates the running one;
- automated sync follows :func:`kapstan.engine.sync.autosync.decide`
  (:mod:`kapstan.controller.automated`): the operation it starts is set in the same write as
  the comparison that called for it; the self-heal attempt count of an app resets when it is
  seen Synced; sync windows and project violations block
  automated and manual syncs: a manual sync outside its windows waits (``Running``, "Sync
  operation blocked by sync window"), one on an app with an invalid spec ends in ``Error``
  listing the error conditions, as in Argo CD;
- an operation's end is written by the comparison that follows it, in one write
  (:mod:`kapstan.controller.ending`; an automated sync's end waits a moment for a
  ``Progressing`` health to settle);
- deletion: an app with a cascade finalizer is finalized by
  :func:`kapstan.controller.deletion.finalize`; its snapshot is dropped once it is gone;
- on ``stop`` running operations are cancelled between writes: their state stays as last
  written (``Running``; only the ``operation`` for one stopped before its first progress
  write), so the next controller resumes them, or starts them again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Mapping
from typing import Any

from kapstan.cache.index import Change
from kapstan.cache.manager import CacheOptions
from kapstan.cache.reflector import Reflector
from kapstan.controller.automated import AutoSync, Considered
from kapstan.controller.deletion import delete_pass
from kapstan.controller.ending import Endings
from kapstan.controller.inventory import Inventory
from kapstan.controller.operations import (
    WINDOW_BLOCKED,
    OperationRunner,
    held_state,
    now,
    refused_state,
)
from kapstan.controller.queue import AppQueue, Level
from kapstan.controller.reconciler import Finish, Reconciler, Refreshed
from kapstan.engine.conditions import condition
from kapstan.kube.client import KubeClient
from kapstan.kube.errors import KubeError, NotFound
from kapstan.model.application import Application, AppStatus, RefreshType
from kapstan.model.conditions import ConditionType
from kapstan.model.status import SyncStatusCode
from kapstan.model.sync import OperationPhase
from kapstan.model.vocabulary import project_path
from kapstan.services.applications import Applications
from kapstan.services.clusters import Clusters, DestinationError
from kapstan.services.manifests import ManifestSource
from kapstan.services.settings import Settings
from kapstan.services.snapshots import InMemorySnapshots, SnapshotStore
from kapstan.services.watched import SettingsSnapshot, WatchedSettings

log = logging.getLogger(__name__)
LIVE_BATCH = 0.2  # seconds: live changes within this window share one re-compare
LIVE_BATCH_SYNCING = 1.0
FAILURE_BACKOFF = (1.0, 5.0, 30.0, 120.0)  # seconds before retrying a failed refresh


class ControllerError(RuntimeError):
    """The controller cannot run; the message says what to do."""


def _cache_options(settings: Settings) -> CacheOptions:
    return CacheOptions(tracking=settings.tracking, rules=settings.resource_filter)


class Controller:
    """Reconciles the Applications of ``namespace`` (see the module contract)."""

    def __init__(
        self,
        kube: KubeClient,
        generator: ManifestSource,
        namespace: str,
        watched: WatchedSettings,
        *,
        snapshots: SnapshotStore | None = None,
        resync: float | None = None,
        jitter: float | None = None,
        status_processors: int = 4,
        operation_processors: int = 8,
    ) -> None:
        self.kube = kube
        self.namespace = namespace
        self.watched = watched
        self.snapshots: SnapshotStore = snapshots if snapshots is not None else InMemorySnapshots()
        self._resync_override = resync
        self._jitter_override = jitter
        self.status_processors = status_processors
        self.queue = AppQueue()
        self.applications = Applications(kube, namespace)
        self.inventory = Inventory(self._changed, self._terminating, self._forgotten)
        self.apps = self.inventory.apps  # (read by tests and the worker; kept by the inventory)
        self._ops: dict[str, tuple[asyncio.Task[None], asyncio.Event]] = {}
        self._op_slots = asyncio.Semaphore(operation_processors)
        self._failures: dict[str, int] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._ready = False
        self.clusters = Clusters(kube, namespace=namespace, options=_cache_options(self.settings))
        self.reconciler = Reconciler(
            self.applications,
            self.clusters,
            generator,
            lambda: self.settings,
            self.inventory.projects.get,
            self.snapshots,
            lambda: self.resync,
        )
        self.operations = OperationRunner(generator, lambda: self.settings)
        self.auto = AutoSync(lambda r: self.reconciler.window_allows(r, manual=False))
        self.endings = Endings(lambda name, delay: self.queue.add(name, Level.LIVE, delay=delay))

    @property
    def settings(self) -> Settings:
        """The settings in force now (they follow argocd-cm)."""
        return self.watched.current.settings

    @property
    def resync(self) -> float:
        """Seconds between Git polls of an app (``0``: no polling)."""
        if self._resync_override is not None:
            return self._resync_override
        return self.settings.reconciliation_timeout

    @property
    def jitter(self) -> float:
        if self._jitter_override is not None:
            return self._jitter_override
        # An explicit resync period comes without argocd-cm's jitter.
        return 0.0 if self._resync_override is not None else self.settings.reconciliation_jitter

    # -- lifecycle -----------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Reconcile until ``stop`` is set (see the module contract)."""
        await self._check_installed()
        unsubscribe_settings = self.watched.subscribe(self._settings_changed)
        await self.clusters.start()
        unsubscribe = self.clusters.manager.subscribe(self._on_live_change)
        unsubscribe_clusters = self.clusters.manager.on_clusters_changed(self._clusters_changed)
        projects = Reflector(
            self.kube,
            project_path(self.namespace),
            on_list=self.inventory.projects_listed,
            on_event=self.inventory.project_event,
        )
        apps = Reflector(
            self.kube,
            self.applications.path(),
            on_list=self.inventory.apps_listed,
            on_event=self.inventory.app_event,
        )
        tasks = [asyncio.create_task(projects.run())]
        await projects.synced.wait()
        tasks.append(asyncio.create_task(apps.run()))
        tasks.extend(asyncio.create_task(self._worker()) for _ in range(self.status_processors))
        tasks.append(asyncio.create_task(self._ready_when(apps)))
        try:
            await stop.wait()
        finally:
            unsubscribe()
            unsubscribe_clusters()
            unsubscribe_settings()
            self.queue.close()
            ops = [task for task, _ in self._ops.values()]
            for t in [*tasks, *ops, *self._background]:
                t.cancel()
            await asyncio.gather(*tasks, *ops, *self._background, return_exceptions=True)
            await self.clusters.stop()

    async def _ready_when(self, apps: Reflector) -> None:
        await apps.synced.wait()
        self._ready = True
        log.info("ready: %d application(s) listed", len(self.apps))

    @property
    def ready(self) -> bool:
        """The caches are started and the Applications listed (``/healthz`` answers 200)."""
        return self._ready

    async def _check_installed(self) -> None:
        try:
            # One page of one item (``list`` would follow the continue tokens through all).
            await self.kube.get(self.applications.path(), {"limit": 1})
        except NotFound:
            raise ControllerError(
                "the Application CRD (applications.argoproj.io) is not installed: run "
                "`kapstan install` (or install Argo CD's CRDs) first"
            ) from None

    @property
    def syncs(self) -> int:
        return self.operations.count

    # -- settings ------------------------------------------------------------------------------
    def _settings_changed(self, old: SettingsSnapshot, new: SettingsSnapshot) -> None:
        task = asyncio.get_running_loop().create_task(self._apply_settings(old, new))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _apply_settings(self, old: SettingsSnapshot, new: SettingsSnapshot) -> None:
        if _cache_options(old.settings) != _cache_options(new.settings):
            log.info("settings changed: applying the tracking method and resource filter")
            await self.clusters.reconfigure(_cache_options(new.settings))
        if (old.settings, old.repositories) == (new.settings, new.repositories):
            return
        log.info("settings changed: refreshing %d application(s)", len(self.apps))
        for name in self.apps:
            self.queue.add(name, Level.NORMAL)

    def _clusters_changed(self, server: str) -> None:
        """A cluster Secret was added, changed or removed: destinations may have appeared or
        gone, so every app is compared again (a few dozen clusters change rarely)."""
        log.info(
            "cluster %s added or removed: refreshing %d application(s)", server, len(self.apps)
        )
        for name in self.apps:
            self.queue.add(name, Level.NORMAL)

    # -- watches -------------------------------------------------------------------------------
    def _changed(self, name: str) -> None:
        self.queue.add(name, Level.NORMAL)

    def _terminating(self, name: str) -> None:
        running = self._ops.get(name)
        if running is not None:
            running[1].set()

    def _forgotten(self, name: str) -> None:
        self.auto.forget(name)
        self.endings.forget(name)
        self._failures.pop(name, None)
        self.queue.forget(name)
        self.reconciler.forget(name)
        task = asyncio.get_running_loop().create_task(self.snapshots.delete(self.namespace, name))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _on_live_change(self, server: str, apps: frozenset[str], change: Change) -> None:
        for name in apps:
            if name in self.apps:
                # A sync or a rollout changes several objects within moments: one re-compare
                # (and fewer while this controller's own sync of the app is running).
                delay = LIVE_BATCH_SYNCING if name in self._ops else LIVE_BATCH
                self.queue.add(name, Level.LIVE, delay=delay)
        namespace = change.key[2]
        if apps or not namespace or not self.inventory.orphan_projects:
            return  # (node leases and the like renew all the time: keep this path short)
        # An object no app tracks: it may be an orphan for apps deploying to its namespace.
        for name, app in self.apps.items():
            spec = app.get("spec") or {}
            if (spec.get("destination") or {}).get("namespace") != namespace:
                continue
            if str(spec.get("project") or "") in self.inventory.orphan_projects:
                self.queue.add(name, Level.LIVE, delay=LIVE_BATCH)

    # -- work ----------------------------------------------------------------------------------
    async def _worker(self) -> None:
        while True:
            name, level = await self.queue.get()
            try:
                await self._process(name, level)
                self._failures.pop(name, None)
            except asyncio.CancelledError:
                raise
            except Exception as err:
                await self._failed(name, err)
            finally:
                self.queue.done(name)

    async def _failed(self, name: str, err: Exception) -> None:
        """A refresh failed: say so on the app (UnknownError) and retry with backoff."""
        count = self._failures.get(name, 0)
        self._failures[name] = count + 1
        delay = FAILURE_BACKOFF[min(count, len(FAILURE_BACKOFF) - 1)]
        expected = isinstance(err, KubeError | DestinationError | OSError)
        if expected:
            log.warning("application %s: %s (retrying in %gs)", name, err, delay)
        else:
            log.exception("application %s: reconcile failed (retrying in %gs)", name, delay)
        self.queue.add(name, Level.NORMAL, delay=delay)
        app = self.apps.get(name)
        if app is None:
            return
        app = await self._write_end(app)
        message = f"{type(err).__name__}: {err}" if not expected else str(err)
        entry = condition(ConditionType.UNKNOWN_ERROR, message[:1000], now())
        kept = [
            c
            for c in (app.get("status") or {}).get("conditions") or []
            if c.get("type") != ConditionType.UNKNOWN_ERROR.value
        ]
        if [*kept, entry] != (app.get("status") or {}).get("conditions"):
            with contextlib.suppress(KubeError):
                self.inventory.remember(
                    await self.applications.write_status(app, {"conditions": [*kept, entry]})
                )

    async def _write_end(self, app: dict[str, Any]) -> dict[str, Any]:
        """Write the app's waiting operation end on its own (its comparison failed)."""
        name = str(app["metadata"]["name"])
        end = self.endings.fields(name)
        if end is None:
            return app
        self.inventory.expect({k: v for k, v in app.items() if k != "operation"})
        try:
            written = await self.applications.write_status(app, end, None)
        except KubeError as err:
            log.warning("application %s: writing the operation's end failed: %s", name, err)
            return app
        self.endings.written(name, end)
        self.inventory.written(written)
        return written

    def _poll_later(self, name: str) -> None:
        if self.resync > 0:
            delay = self.resync + random.uniform(0, self.jitter)  # noqa: S311 - spreading load
            self.queue.add(name, Level.POLL, delay=delay)

    async def _process(self, name: str, level: Level) -> None:
        app = self.apps.get(name)
        if app is None:
            return
        view = Application.of(app)
        if view.skip_reconcile:
            return
        if view.deleting:
            await self._delete(app)
            return
        requested = view.refresh_requested
        if requested is not None:
            level = max(level, Level.HARD if requested is RefreshType.HARD else Level.NORMAL)
        considered: Considered | None = None
        ending: Finish | None = None

        def start(compared: Refreshed) -> Mapping[str, Any] | None:
            nonlocal considered
            if AppStatus(compared.status).sync_status is SyncStatusCode.SYNCED:
                self.auto.synced(name)
            if self._operating(name) or compared.app.get("operation") is not None:
                return None
            considered = self.auto.consider(compared)
            if considered.start is not None:
                self.inventory.expect({**compared.app, "operation": dict(considered.start)})
            return considered.start

        def finish(compared: Refreshed) -> Finish | None:
            nonlocal ending
            ending = self.endings.finish(compared)
            if ending is not None and ending.fields is not None:
                self.inventory.expect({k: v for k, v in compared.app.items() if k != "operation"})
            return ending

        refreshed = await self.reconciler.refresh(
            app, level, fresh=requested is not None, start=start, finish=finish
        )
        compared_app, app = app, refreshed.app
        if considered is not None and considered.start is not None:
            if app.get("operation") is None:  # the write failed (logged): try again soon
                self.queue.add(name, Level.LIVE, delay=FAILURE_BACKOFF[0])
            else:
                self.inventory.written(app)
        if ending is not None and ending.fields is not None:
            if app is compared_app:  # the write failed (logged): try again soon
                self.queue.add(name, Level.LIVE, delay=FAILURE_BACKOFF[0])
            else:
                self.endings.written(name, ending.fields)
                self.inventory.written(app)
        if requested is not None:
            app = await self.applications.clear_refresh(name)
            self.inventory.written(app)
        self.inventory.remember(app)
        if level >= Level.POLL:
            self._poll_later(name)
        await self._operate(refreshed, considered)

    async def _operate(self, refreshed: Refreshed, considered: Considered | None) -> None:
        """Start, resume, hold or refuse the app's operation (an automated one was set with
        the comparison), or act on the automated sync decision ``considered`` made."""
        app = refreshed.app
        view = Application.of(app)
        name = view.name
        if self._operating(name):
            return
        state = view.status.operation_state
        operation = view.operation
        if operation is not None and state.in_progress and state.started:
            # Started by an earlier controller (only started operations carry progress).
            self._start(refreshed, resume=True)
            return
        if operation is not None:
            if refreshed.blocked:
                await self._refuse(app, refreshed.status)
                return
            allowed, why = self.reconciler.window_allows(refreshed, manual=not operation.automated)
            if not allowed:
                log.debug("application %s: sync held: %s", name, why)
                await self._hold(app)
                return
            self._start(refreshed, resume=False)
            return
        if considered is None:
            return
        decision = considered.decision
        if decision.refusal:
            conditions = [
                c
                for c in refreshed.status.get("conditions") or []
                if c.get("type") != ConditionType.SYNC_ERROR.value
            ]
            conditions.append(condition(ConditionType.SYNC_ERROR, decision.refusal, now()))
            if conditions != (app.get("status") or {}).get("conditions"):
                self.inventory.remember(
                    await self.applications.write_status(app, {"conditions": conditions})
                )
            return
        if decision.wait:
            self.queue.add(name, Level.LIVE, delay=decision.wait)

    def _operating(self, name: str) -> bool:
        """The app's operation runs, or has ended and its end is not written yet."""
        return name in self._ops or self.endings.pending(name)

    async def _hold(self, app: dict[str, Any]) -> None:
        """A sync a sync window does not allow yet: Argo CD keeps it Running with this
        message and starts it once the window allows."""
        state = Application.of(app).status.operation_state
        if state.message != WINDOW_BLOCKED or state.phase is not OperationPhase.RUNNING:
            value = held_state(app["operation"], now())
            self.inventory.remember(
                await self.applications.write_status(app, {"operationState": value})
            )
        self.queue.add(str(app["metadata"]["name"]), Level.NORMAL, delay=10.0)

    async def _refuse(self, app: dict[str, Any], status: Mapping[str, Any]) -> None:
        """An operation on an app with an invalid spec ends at once in phase Error, its
        message listing the error conditions (Argo CD's ``SyncAppState``)."""
        value = refused_state(app["operation"], status.get("conditions") or [], now())
        self.inventory.written(
            await self.applications.write_status(app, {"operationState": value}, None)
        )

    def _start(self, refreshed: Refreshed, *, resume: bool) -> None:
        app = refreshed.app
        target = refreshed.target
        if target is None:
            return
        name = str(app["metadata"]["name"])
        terminate = asyncio.Event()
        if Application.of(app).status.operation_state.phase is OperationPhase.TERMINATING:
            terminate.set()

        async def write(fields: Mapping[str, Any]) -> dict[str, Any]:
            """The operation's progress; its end is written with a comparison (endings)."""
            updated = await self.applications.write_status(self.apps.get(name, app), fields)
            self.inventory.remember(updated)
            return updated

        async def body() -> None:
            try:
                async with self._op_slots:
                    end = await self.operations.run(app, target, write, terminate, resume=resume)
                self.endings.ended(name, end)
            except KubeError as err:
                log.warning("application %s: operation failed: %s", name, err)
            except Exception:
                log.exception("application %s: operation failed", name)
            finally:
                self._ops.pop(name, None)
                # Re-compare what the sync changed (the target revision is still known) and
                # write the end with it.
                self.queue.add(name, Level.LIVE)

        self._ops[name] = (asyncio.create_task(body()), terminate)

    async def _delete(self, app: dict[str, Any]) -> None:
        name = str(app["metadata"]["name"])
        running = self._ops.get(name)
        if running is not None:
            running[1].set()  # a running operation stops first
            return
        result = await delete_pass(app, self.clusters, self.applications, self.settings.tracking)
        if result.done:
            return
        if result.message:
            entry = condition(ConditionType.DELETION_ERROR, result.message, now())
            with contextlib.suppress(KubeError):
                self.inventory.remember(
                    await self.applications.write_status(app, {"conditions": [entry]})
                )
        self.queue.add(name, Level.NORMAL, delay=1.0)


__all__ = ["Controller", "ControllerError"]
