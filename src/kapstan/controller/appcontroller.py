"""The application controller: watches, work queue, refresh workers and operations.

Contract of :class:`Controller` (one Application namespace; the cluster of ``kube`` holds the
Applications, AppProjects and cluster secrets):

- :meth:`run` installs the CRDs and the ``default`` AppProject, starts the live-state caches
  (:class:`~kapstan.controller.clusters.Clusters`), watches Applications and AppProjects, and
  runs ``status_processors`` refresh workers until ``stop`` is set;
- refresh triggers: an Application created or changed (spec, operation, annotations,
  finalizers, deletion), a live change to an object the app tracks (cache event: a ``LIVE``
  re-compare of that app only), and Git polling every ``timeout.reconciliation`` plus a
  random share of ``timeout.reconciliation.jitter`` per app (``0`` disables polling, as in
  Argo CD); the ``argocd.argoproj.io/refresh: normal|hard`` annotation asks for one refresh
  of that level and is removed once done; ``argocd.argoproj.io/skip-reconcile: "true"``
  leaves the app alone;
- operations run as their own tasks (at most ``operation_processors`` at once, one per app)
  so that refreshes go on meanwhile; an operation left ``Running`` by a previous controller is
  resumed; ``operationState.phase: Terminating`` terminates the running one;
- automated sync follows :func:`kapstan.engine.sync.autosync.decide`; the self-heal attempt
  count of an app resets when it is seen Synced; sync windows and project violations block
  automated and manual syncs: a manual sync outside its windows waits (``Running``, "Sync
  operation blocked by sync window"), one on an app with an invalid spec ends in ``Error``
  listing the error conditions, as in Argo CD;
- deletion: an app with a cascade finalizer is finalized by
  :func:`kapstan.controller.deletion.finalize`;
- on ``stop`` running operations are cancelled between writes: their state stays ``Running``
  in the Application, so the next controller resumes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, cast

import orjson

from kapstan.cache.index import Change
from kapstan.cache.manager import CacheOptions
from kapstan.cache.reflector import Reflector
from kapstan.cache.tracking import Method, Tracking
from kapstan.controller.clusters import Clusters, DestinationError
from kapstan.controller.deletion import finalize
from kapstan.controller.install import ensure_default_project, install_crds
from kapstan.controller.livestate import from_api
from kapstan.controller.manifests import ManifestGenerator
from kapstan.controller.operations import KEEP, OperationRunner, now
from kapstan.controller.queue import AppQueue, Level
from kapstan.controller.reconciler import API, Reconciler, Refreshed
from kapstan.controller.refresh import condition
from kapstan.controller.settings import Settings
from kapstan.engine.sync.autosync import decide
from kapstan.kube.client import KubeClient
from kapstan.kube.errors import KubeError
from kapstan.model.sync import OperationPhase

log = logging.getLogger(__name__)
REFRESH_ANNOTATION = "argocd.argoproj.io/refresh"
SKIP_RECONCILE = "argocd.argoproj.io/skip-reconcile"
WINDOW_BLOCKED = "Sync operation blocked by sync window"
LIVE_BATCH = 0.2  # seconds: live changes within this window share one re-compare
LIVE_BATCH_SYNCING = 1.0
_RUNNING = (OperationPhase.RUNNING.value, OperationPhase.TERMINATING.value)


def _fingerprint(app: Mapping[str, Any]) -> bytes:
    """What, when changed by someone, calls for a refresh (status writes do not)."""
    meta = app.get("metadata") or {}
    phase = ((app.get("status") or {}).get("operationState") or {}).get("phase")
    parts = [
        app.get("spec"),
        app.get("operation"),
        meta.get("annotations"),
        meta.get("finalizers"),
        meta.get("deletionTimestamp"),
        phase == OperationPhase.TERMINATING.value,
    ]
    return orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)


class Controller:
    """Reconciles the Applications of ``namespace`` (see the module contract)."""

    def __init__(
        self,
        kube: KubeClient,
        generator: ManifestGenerator,
        namespace: str = "argocd",
        settings: Settings | None = None,
        *,
        resync: float | None = None,
        jitter: float | None = None,
        status_processors: int = 4,
        operation_processors: int = 8,
    ) -> None:
        self.kube = kube
        self.namespace = namespace
        self.settings = settings or Settings()
        self.resync = self.settings.reconciliation_timeout if resync is None else resync
        if jitter is None:  # an explicit resync period comes without argocd-cm's jitter
            jitter = self.settings.reconciliation_jitter if resync is None else 0.0
        self.jitter = jitter
        self.status_processors = status_processors
        self.queue = AppQueue()
        self.apps: dict[str, dict[str, Any]] = {}
        self.projects: dict[str, dict[str, Any]] = {}
        self._seen: dict[str, bytes] = {}
        self._ops: dict[str, tuple[asyncio.Task[None], asyncio.Event]] = {}
        self._op_slots = asyncio.Semaphore(operation_processors)
        self._self_heal: dict[str, int] = {}
        self._blocked_logged: dict[str, str] = {}
        self._orphan_projects: set[str] = set()  # projects with orphanedResources set
        tracking = Tracking(
            cast(Method, self.settings.tracking_method), self.settings.instance_label_key
        )
        self.clusters = Clusters(
            kube,
            namespace=namespace,
            options=CacheOptions(tracking=tracking, rules=self.settings.resource_filter),
        )
        self.reconciler = Reconciler(
            kube, self.clusters, generator, self.settings, namespace, self.projects.get
        )
        self.operations = OperationRunner(generator, self.settings)

    # -- lifecycle -----------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Reconcile until ``stop`` is set (see the module contract)."""
        await install_crds(self.kube)
        await ensure_default_project(self.kube, self.namespace)
        await self.clusters.start()
        unsubscribe = self.clusters.manager.subscribe(self._on_live_change)
        base = f"{API}/namespaces/{self.namespace}"
        projects = Reflector(
            self.kube,
            f"{base}/appprojects",
            on_list=self._projects_listed,
            on_event=self._project_event,
        )
        apps = Reflector(
            self.kube, f"{base}/applications", on_list=self._apps_listed, on_event=self._app_event
        )
        tasks = [asyncio.create_task(projects.run())]
        await projects.synced.wait()
        tasks.append(asyncio.create_task(apps.run()))
        tasks.extend(asyncio.create_task(self._worker()) for _ in range(self.status_processors))
        try:
            await stop.wait()
        finally:
            unsubscribe()
            self.queue.close()
            ops = [task for task, _ in self._ops.values()]
            for t in [*tasks, *ops]:
                t.cancel()
            await asyncio.gather(*tasks, *ops, return_exceptions=True)
            await self.clusters.stop()

    @property
    def syncs(self) -> int:
        return self.operations.count

    # -- watches -------------------------------------------------------------------------------
    def _projects_listed(self, items: list[dict[str, Any]]) -> None:
        self.projects.clear()
        for p in items:
            self.projects[str(p["metadata"]["name"])] = p
        self._index_orphan_projects()

    def _index_orphan_projects(self) -> None:
        self._orphan_projects = {
            name
            for name, p in self.projects.items()
            if (p.get("spec") or {}).get("orphanedResources") is not None
        }

    def _project_event(self, event: Any) -> None:
        name = str(event.object["metadata"]["name"])
        if event.type == "DELETED":
            self.projects.pop(name, None)
        elif event.type in ("ADDED", "MODIFIED"):
            self.projects[name] = event.object
        self._index_orphan_projects()
        for app_name, app in self.apps.items():  # project rules changed: re-check its apps
            if (app.get("spec") or {}).get("project") == name:
                self.queue.add(app_name, Level.NORMAL)

    def _apps_listed(self, items: list[dict[str, Any]]) -> None:
        names = {str(a["metadata"]["name"]) for a in items}
        for gone in set(self.apps) - names:
            self._forget(gone)
        for app in items:
            self._store(app, force=True)

    def _app_event(self, event: Any) -> None:
        app = event.object
        name = str(app["metadata"]["name"])
        if event.type == "DELETED":
            self._forget(name)
        elif event.type in ("ADDED", "MODIFIED"):
            self._store(app, force=event.type == "ADDED")

    def _store(self, app: dict[str, Any], *, force: bool) -> None:
        name = str(app["metadata"]["name"])
        self._remember(app)
        fingerprint = _fingerprint(app)
        if force or self._seen.get(name) != fingerprint:
            self._seen[name] = fingerprint
            self.queue.add(name, Level.NORMAL)
        phase = ((app.get("status") or {}).get("operationState") or {}).get("phase")
        running = self._ops.get(name)
        if running is not None and phase == OperationPhase.TERMINATING.value:
            running[1].set()

    def _remember(self, app: dict[str, Any]) -> None:
        """Keep the newest copy (our own PATCH answers can be newer than a watch event)."""
        name = str(app["metadata"]["name"])
        current = self.apps.get(name)
        if current is not None:
            try:
                if int(current["metadata"]["resourceVersion"]) > int(
                    app["metadata"]["resourceVersion"]
                ):
                    return
            except (KeyError, ValueError):
                pass
        self.apps[name] = app

    def _forget(self, name: str) -> None:
        self.apps.pop(name, None)
        self._seen.pop(name, None)
        self._self_heal.pop(name, None)
        self._blocked_logged.pop(name, None)
        self.queue.forget(name)
        self.reconciler.forget(name)

    def _on_live_change(self, server: str, apps: frozenset[str], change: Change) -> None:
        for name in apps:
            if name in self.apps:
                # A sync or a rollout changes several objects within moments: one re-compare
                # (and fewer while this controller's own sync of the app is running).
                delay = LIVE_BATCH_SYNCING if name in self._ops else LIVE_BATCH
                self.queue.add(name, Level.LIVE, delay=delay)
        namespace = change.key[2]
        if apps or not namespace or not self._orphan_projects:
            return  # (node leases and the like renew all the time: keep this path short)
        # An object no app tracks: it may be an orphan for apps deploying to its namespace.
        for name, app in self.apps.items():
            spec = app.get("spec") or {}
            if (spec.get("destination") or {}).get("namespace") != namespace:
                continue
            if str(spec.get("project") or "") in self._orphan_projects:
                self.queue.add(name, Level.LIVE, delay=LIVE_BATCH)

    # -- work ----------------------------------------------------------------------------------
    async def _worker(self) -> None:
        while True:
            name, level = await self.queue.get()
            try:
                await self._process(name, level)
            except (KubeError, DestinationError, OSError) as err:
                log.warning("application %s: %s", name, err)
                self.queue.add(name, Level.NORMAL, delay=5.0)
            except Exception:
                log.exception("application %s: reconcile failed", name)
                self.queue.add(name, Level.NORMAL, delay=10.0)
            finally:
                self.queue.done(name)

    def _poll_later(self, name: str) -> None:
        if self.resync > 0:
            delay = self.resync + random.uniform(0, self.jitter)  # noqa: S311 - spreading load
            self.queue.add(name, Level.NORMAL, delay=delay)

    async def _process(self, name: str, level: Level) -> None:
        app = self.apps.get(name)
        if app is None:
            return
        meta = app.get("metadata") or {}
        annotations = meta.get("annotations") or {}
        if str(annotations.get(SKIP_RECONCILE, "")).lower() == "true":
            return
        if meta.get("deletionTimestamp"):
            await self._delete(app)
            return
        requested = str(annotations.get(REFRESH_ANNOTATION) or "")
        if requested:
            level = max(level, Level.HARD if requested == "hard" else Level.NORMAL)
        refreshed = await self.reconciler.refresh(app, level, fresh=bool(requested))
        app = refreshed.app
        if requested:
            app = await self.reconciler.merge(
                app, {"metadata": {"annotations": {REFRESH_ANNOTATION: None}}}
            )
            self._seen[name] = _fingerprint(app)
        self._remember(app)
        if level >= Level.NORMAL:
            self._poll_later(name)
        if (refreshed.status.get("sync") or {}).get("status") == "Synced":
            self._self_heal.pop(name, None)
        await self._operate(refreshed)

    async def _operate(self, refreshed: Refreshed) -> None:
        app = refreshed.app
        name = str(app["metadata"]["name"])
        if name in self._ops:
            return
        state = (app.get("status") or {}).get("operationState") or {}
        if app.get("operation") and state.get("phase") in _RUNNING and state.get("progress"):
            # Started by an earlier controller (only started operations carry progress).
            self._start(refreshed, resume=True)
            return
        if app.get("operation"):
            if refreshed.blocked:
                await self._refuse(app, refreshed.status)
                return
            manual = not (app["operation"].get("initiatedBy") or {}).get("automated")
            allowed, why = self.reconciler.window_allows(refreshed, manual=manual)
            if not allowed:
                log.debug("application %s: sync held: %s", name, why)
                await self._hold(app)
                return
            self._start(refreshed, resume=False)
            return
        attempts = self._self_heal.get(name, 0)
        decision = decide(app, refreshed.status, now=datetime.now(UTC), self_heal_attempts=attempts)
        if decision.refusal:
            conditions = [
                c for c in refreshed.status.get("conditions") or [] if c.get("type") != "SyncError"
            ]
            conditions.append(condition("SyncError", decision.refusal, now()))
            if conditions != (app.get("status") or {}).get("conditions"):
                self._remember(await self.reconciler.write_status(app, {"conditions": conditions}))
            return
        if decision.wait:
            self.queue.add(name, Level.LIVE, delay=decision.wait)
            return
        if decision.operation is None:
            return
        allowed, why = self.reconciler.window_allows(refreshed, manual=False)
        if refreshed.blocked or not allowed:
            reason = refreshed.blocked or why
            if self._blocked_logged.get(name) != reason:  # once per reason, not every refresh
                self._blocked_logged[name] = reason
                log.info("application %s: automated sync blocked: %s", name, reason)
            return
        self._blocked_logged.pop(name, None)
        if decision.self_heal:
            self._self_heal[name] = attempts + 1
        log.info("application %s: automated sync to %s", name, decision.operation["sync"])
        self._start(refreshed, resume=False, start=decision.operation)

    async def _hold(self, app: dict[str, Any]) -> None:
        """A sync a sync window does not allow yet: Argo CD keeps it Running with this
        message and starts it once the window allows."""
        state = (app.get("status") or {}).get("operationState") or {}
        if (
            state.get("message") != WINDOW_BLOCKED
            or state.get("phase") != OperationPhase.RUNNING.value
        ):
            value = {
                "operation": app["operation"],
                "phase": OperationPhase.RUNNING.value,
                "message": WINDOW_BLOCKED,
                "startedAt": now(),
            }
            self._remember(await self.reconciler.write_status(app, {"operationState": value}))
        self.queue.add(str(app["metadata"]["name"]), Level.NORMAL, delay=10.0)

    async def _refuse(self, app: dict[str, Any], status: Mapping[str, Any]) -> None:
        """An operation on an app with an invalid spec ends at once in phase Error, its
        message listing the error conditions (Argo CD's ``SyncAppState``)."""
        errors = [
            f"{c.get('type')}: {c.get('message')}"
            for c in status.get("conditions") or []
            if str(c.get("type", "")).endswith("Error")
        ]
        stamp = now()
        value = {
            "operation": app["operation"],
            "phase": OperationPhase.ERROR.value,
            "message": "; ".join(errors) or "invalid application spec",
            "startedAt": stamp,
            "finishedAt": stamp,
        }
        app = await self.reconciler.write_status(app, {"operationState": value}, None)
        self._remember(app)
        self._seen[str(app["metadata"]["name"])] = _fingerprint(app)

    def _start(
        self, refreshed: Refreshed, *, resume: bool, start: Mapping[str, Any] | None = None
    ) -> None:
        app = refreshed.app
        target = refreshed.target
        if target is None:
            return
        name = str(app["metadata"]["name"])
        terminate = asyncio.Event()
        if ((app.get("status") or {}).get("operationState") or {}).get(
            "phase"
        ) == OperationPhase.TERMINATING.value:
            terminate.set()

        async def write(fields: Mapping[str, Any], operation: Any) -> dict[str, Any]:
            current = self.apps.get(name, app)
            updated = await self.reconciler.write_status(current, fields, operation)
            self._remember(updated)
            if operation is not KEEP:
                self._seen[name] = _fingerprint(updated)
            return updated

        async def body() -> None:
            try:
                async with self._op_slots:
                    await self.operations.run(
                        app, target, write, terminate, resume=resume, start=start
                    )
            except KubeError as err:
                log.warning("application %s: operation failed: %s", name, err)
            finally:
                self._ops.pop(name, None)
                # Re-compare what the sync changed; the target revision is still known.
                self.queue.add(name, Level.LIVE)

        self._ops[name] = (asyncio.create_task(body()), terminate)

    async def _delete(self, app: dict[str, Any]) -> None:
        name = str(app["metadata"]["name"])
        running = self._ops.get(name)
        if running is not None:
            running[1].set()
            return
        try:
            target = self.clusters.resolve((app.get("spec") or {}).get("destination") or {})
        except DestinationError as err:
            await self._deletion_error(app, str(err))
            return
        model = await target.discovery.model()
        live = await from_api(target.kube, model, app, [])
        result = await finalize(
            target.kube,
            self.reconciler.app_path(name),
            app,
            live,
            is_namespaced=model.namespaced,
            discovery=target.discovery,
            app_kube=self.kube,
        )
        if not result.done:
            if result.message:
                await self._deletion_error(app, result.message)
            self.queue.add(name, Level.NORMAL, delay=1.0)

    async def _deletion_error(self, app: dict[str, Any], message: str) -> None:
        entry = condition("DeletionError", message, now())
        with contextlib.suppress(KubeError):
            self._remember(await self.reconciler.write_status(app, {"conditions": [entry]}))


__all__ = ["REFRESH_ANNOTATION", "SKIP_RECONCILE", "Controller"]
