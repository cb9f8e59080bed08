"""A minimal GitOps loop: refresh, status, sync operations and automated sync of Applications.

Contract of :class:`Reconciler` (one Application namespace, one cluster: the client's):

- :meth:`Reconciler.run` installs the CRDs and the ``default`` AppProject, then polls every
  ``poll_interval`` seconds until ``stop`` is set; Applications are reconciled one at a time;
- destination ``https://kubernetes.default.svc``, ``in-cluster`` or the client's own server URL
  is the client's cluster; any other destination gets an ``InvalidSpecError`` condition;
- refresh: manifests are generated, live objects are listed per kind (the desired kinds plus
  the kinds in ``status.resources``) in the destination namespace and only those tracked by the
  app (annotation tracking id) count; ``status`` is replaced as a whole (JSON patch), keeping
  ``operationState`` and ``history``;
- a top-level ``operation.sync`` runs a :class:`SyncRunner`; ``status.operationState`` (Argo
  shape) is written while it runs, ``operation`` is removed when done and a successful sync
  appends to ``status.history`` (at most :data:`HISTORY_LIMIT` entries);
- automated sync (``spec.syncPolicy.automated``) starts an operation when the app is OutOfSync,
  unless the last operation already synced this revision and source (then only ``selfHeal``
  syncs again, and only after a successful attempt); a ``ComparisonError`` never syncs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from kapstan.controller.install import ensure_default_project, install_crds
from kapstan.controller.manifests import (
    GeneratedManifests,
    ManifestGenerationError,
    ManifestGenerator,
)
from kapstan.controller.refresh import compute_status, is_tracked, rfc3339
from kapstan.controller.settings import Settings
from kapstan.controller.sync import SyncRunner
from kapstan.engine.pairing import with_namespace
from kapstan.engine.sync.plan import PlanError, build_plan
from kapstan.engine.sync.state import OperationState
from kapstan.kube.client import KubeClient
from kapstan.kube.discovery import Discovery, DiscoveryModel
from kapstan.kube.errors import KubeError, NotFound
from kapstan.model.keys import group_of
from kapstan.model.sync import OperationPhase

log = logging.getLogger(__name__)

IN_CLUSTER = "https://kubernetes.default.svc"
API = "/apis/argoproj.io/v1alpha1"
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
HISTORY_LIMIT = 10


def _now() -> str:
    return rfc3339(datetime.now(UTC))


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def _single_source(spec: Mapping[str, Any]) -> dict[str, Any]:
    return dict(spec.get("source") or {})


def auto_sync_operation(app: Mapping[str, Any], status: Mapping[str, Any]) -> dict[str, Any] | None:
    """The operation automated sync starts for ``app`` given its fresh ``status``, or None.

    Like Argo CD: nothing while an operation is pending, when not OutOfSync or when the target
    state is unknown; a revision (and source) already attempted is synced again only with
    ``selfHeal`` and only when that attempt succeeded.
    """
    spec = app.get("spec") or {}
    automated = (spec.get("syncPolicy") or {}).get("automated")
    if automated is None or app.get("operation"):
        return None
    if automated.get("enabled") is False:
        return None
    if any(c.get("type") == "ComparisonError" for c in status.get("conditions") or []):
        return None
    sync = status.get("sync") or {}
    if sync.get("status") != "OutOfSync":
        return None
    revision = str(sync.get("revision") or "")
    if not revision:
        return None
    source = _single_source(spec)
    last = (app.get("status") or {}).get("operationState") or {}
    result = last.get("syncResult") or {}
    attempted = result.get("revision") == revision and (result.get("source") or {}) == source
    if attempted and (
        not automated.get("selfHeal") or last.get("phase") != OperationPhase.SUCCEEDED.value
    ):
        return None
    sync_op: dict[str, Any] = {"revision": revision, "prune": bool(automated.get("prune"))}
    options = (spec.get("syncPolicy") or {}).get("syncOptions")
    if options:
        sync_op["syncOptions"] = list(options)
    return {"sync": sync_op, "initiatedBy": {"automated": True}}


def operation_state_dict(
    state: OperationState,
    operation: Mapping[str, Any],
    *,
    revision: str,
    source: Mapping[str, Any],
    started_at: str,
    finished_at: str = "",
) -> dict[str, Any]:
    """Argo CD's ``status.operationState`` for ``state``."""
    data = state.to_dict()
    data.pop("progress", None)
    data["operation"] = dict(operation)
    data["syncResult"]["revision"] = revision
    data["syncResult"]["source"] = dict(source)
    data["startedAt"] = started_at
    if finished_at:
        data["finishedAt"] = finished_at
    return data


class _AppStore:
    """A :class:`StateStore` in memory; :meth:`flush_loop` mirrors it into the Application."""

    def __init__(self) -> None:
        self.state: OperationState | None = None
        self.changed = asyncio.Event()

    def load(self) -> OperationState | None:
        return self.state

    def save(self, state: OperationState) -> None:
        self.state = state
        self.changed.set()


class Reconciler:
    """Polls the Applications of ``namespace`` and reconciles each against ``kube``."""

    def __init__(
        self,
        kube: KubeClient,
        generator: ManifestGenerator,
        namespace: str = "argocd",
        settings: Settings | None = None,
        poll_interval: float = 10.0,
    ) -> None:
        self.kube = kube
        self.generator = generator
        self.namespace = namespace
        self.settings = settings or Settings()
        self.poll_interval = poll_interval
        self.discovery = Discovery(kube)
        self.stop = asyncio.Event()
        self.syncs = 0  # operations run (for tests and logs)

    async def run(self, stop: asyncio.Event) -> None:
        """Install CRDs and the default project, then reconcile until ``stop`` is set."""
        self.stop = stop
        await install_crds(self.kube)
        await ensure_default_project(self.kube, self.namespace)
        while not stop.is_set():
            await self.reconcile_all()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.poll_interval)

    async def reconcile_all(self) -> None:
        """One pass over every Application (errors are logged, never raised)."""
        self.discovery.invalidate()
        apps = await self.kube.list(f"{API}/namespaces/{self.namespace}/applications")
        for app in apps.items:
            if self.stop.is_set():
                return
            try:
                await self.reconcile(app)
            except (KubeError, PlanError, ManifestGenerationError) as err:
                log.warning("application %s: %s", _meta(app).get("name"), err)

    def _app_path(self, app: Mapping[str, Any]) -> str:
        return f"{API}/namespaces/{self.namespace}/applications/{_meta(app)['name']}"

    async def _merge(self, app: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
        return await self.kube.request("PATCH", self._app_path(app), None, patch, MERGE_PATCH)

    async def _set_status_field(
        self, app: Mapping[str, Any], name: str, value: Any
    ) -> dict[str, Any]:
        ops = [{"op": "add", "path": f"/status/{name}", "value": value}]
        if not app.get("status"):
            ops = [{"op": "add", "path": "/status", "value": {name: value}}]
        return await self.kube.request("PATCH", self._app_path(app), None, ops, JSON_PATCH)

    def _local(self, app: Mapping[str, Any]) -> bool:
        dest = (app.get("spec") or {}).get("destination") or {}
        server = str(dest.get("server") or "").rstrip("/")
        if not server:
            return str(dest.get("name") or "") == "in-cluster"
        return server in (IN_CLUSTER, self.kube.config.server.rstrip("/"))

    async def reconcile(self, app: dict[str, Any]) -> dict[str, Any]:
        """Refresh ``app``, write its status, run a pending or automated sync."""
        if not self._local(app):
            status = {
                "conditions": [
                    {
                        "type": "InvalidSpecError",
                        "message": "only the in-cluster destination is supported",
                        "lastTransitionTime": _now(),
                    }
                ]
            }
            return await self._write_status(app, status)
        status, _ = await self._refresh(app)
        app = await self._write_status(app, status)
        operation = app.get("operation")
        if not operation:
            operation = auto_sync_operation(app, status)
            if operation is not None:
                log.info("application %s: automated sync", _meta(app)["name"])
                app = await self._merge(app, {"operation": operation})
        if operation and "sync" in operation:
            app = await self._run_operation(app, operation)
            status, _ = await self._refresh(app)
            app = await self._write_status(app, status)
        return app

    async def _write_status(self, app: Mapping[str, Any], status: dict[str, Any]) -> dict[str, Any]:
        old = app.get("status") or {}
        full = dict(status)
        for keep in ("operationState", "history"):
            if keep in old:
                full[keep] = old[keep]
        ops = [{"op": "add", "path": "/status", "value": full}]
        return await self.kube.request("PATCH", self._app_path(app), None, ops, JSON_PATCH)

    async def _model(self) -> DiscoveryModel:
        return await self.discovery.model()

    async def _generate(
        self, app: Mapping[str, Any], revision: str = ""
    ) -> tuple[GeneratedManifests | None, ManifestGenerationError | None]:
        spec = app.get("spec") or {}
        source = spec.get("source")
        if revision and source and not spec.get("sources"):
            source = {**source, "targetRevision": revision}
        try:
            generated = await self.generator.generate(
                app_name=str(_meta(app)["name"]),
                namespace=str((spec.get("destination") or {}).get("namespace") or ""),
                source=source,
                sources=spec.get("sources"),
            )
        except ManifestGenerationError as err:
            return None, err
        return generated, None

    async def _live(
        self, app: Mapping[str, Any], desired: Sequence[Mapping[str, Any]], model: DiscoveryModel
    ) -> list[dict[str, Any]]:
        """Objects tracked by the app, of the desired kinds and the kinds it last reported."""
        name = str(_meta(app)["name"])
        dest_ns = str(((app.get("spec") or {}).get("destination") or {}).get("namespace") or "")
        kinds = {(group_of(str(o.get("apiVersion") or "")), str(o.get("kind"))) for o in desired}
        for res in (app.get("status") or {}).get("resources") or []:
            kinds.add((str(res.get("group") or ""), str(res.get("kind") or "")))
        found: list[dict[str, Any]] = []
        for group, kind in sorted(kinds):
            info = model.find(group, kind)
            if info is None or (info.verbs and "list" not in info.verbs):
                continue
            path = info.path(dest_ns) if info.namespaced else info.path()
            try:
                items = (await self.kube.list(path)).items
            except NotFound:
                continue
            found.extend(o for o in items if is_tracked(name, o))
        return found

    async def _refresh(
        self, app: Mapping[str, Any]
    ) -> tuple[dict[str, Any], GeneratedManifests | None]:
        generated, error = await self._generate(app)
        model = await self._model()
        live = await self._live(app, generated.objects if generated else [], model)
        status = compute_status(
            app,
            generated,
            error,
            live,
            now=datetime.now(UTC),
            is_namespaced=_lookup(model),
            health_config=self.settings.health,
            ignore_rules=self.settings.ignore_rules,
        )
        return status, generated

    async def _run_operation(
        self, app: dict[str, Any], operation: Mapping[str, Any]
    ) -> dict[str, Any]:
        spec = app.get("spec") or {}
        sync_op = operation.get("sync") or {}
        name = str(_meta(app)["name"])
        dest_ns = str((spec.get("destination") or {}).get("namespace") or "")
        source = _single_source(spec)
        options = [
            str(o)
            for o in sync_op.get("syncOptions")
            or (spec.get("syncPolicy") or {}).get("syncOptions")
            or []
        ]
        started = _now()
        store = _AppStore()
        revision = str(sync_op.get("revision") or "")

        def state_dict(state: OperationState, finished: str = "") -> dict[str, Any]:
            return operation_state_dict(
                state,
                operation,
                revision=revision,
                source=source,
                started_at=started,
                finished_at=finished,
            )

        app = await self._set_status_field(app, "operationState", state_dict(OperationState()))
        generated, error = await self._generate(app, revision)
        final: OperationState
        if generated is None:
            final = OperationState(phase=OperationPhase.ERROR, message=str(error))
        else:
            revision = generated.revisions[0] if generated.revisions else revision
            model = await self._model()
            lookup = _lookup(model)
            desired = [with_namespace(o, dest_ns, lookup) for o in generated.objects]
            live = await self._live(app, desired, model)
            try:
                await self.kube.get(f"/api/v1/namespaces/{dest_ns}")
                ns_exists = True
            except NotFound:
                ns_exists = False
            try:
                plan = build_plan(
                    desired,
                    live,
                    app_options=options,
                    prune=bool(sync_op.get("prune")),
                    dry_run=bool(sync_op.get("dryRun")),
                    destination_namespace=dest_ns,
                    namespace_exists=ns_exists,
                )
            except PlanError as err:
                final = OperationState(phase=OperationPhase.ERROR, message=str(err))
            else:
                final = await self._run_plan(app, plan, store, name, options, state_dict)
        self.syncs += 1
        finished = _now()
        app = await self.kube.get(self._app_path(app))
        app = await self._set_status_field(app, "operationState", state_dict(final, finished))
        if final.phase is OperationPhase.SUCCEEDED:
            history = list((app.get("status") or {}).get("history") or [])
            next_id = max((int(h.get("id") or 0) for h in history), default=-1) + 1
            history.append(
                {
                    "id": next_id,
                    "revision": revision,
                    "deployedAt": finished,
                    "deployStartedAt": started,
                    "source": source,
                    "initiatedBy": dict(operation.get("initiatedBy") or {}),
                }
            )
            app = await self._set_status_field(app, "history", history[-HISTORY_LIMIT:])
        log.info("application %s: sync %s %s", name, final.phase, final.message)
        return await self._merge(app, {"operation": None})

    async def _run_plan(
        self,
        app: Mapping[str, Any],
        plan: Any,
        store: _AppStore,
        name: str,
        options: Sequence[str],
        state_dict: Any,
    ) -> OperationState:
        runner = SyncRunner(
            self.kube,
            plan,
            store,
            terminate=self.stop,
            poll=0.5,
            app_name=name,
            app_options=options,
            ignore_rules=self.settings.ignore_rules,
        )

        async def flush() -> None:
            while True:
                await store.changed.wait()
                store.changed.clear()
                if store.state is not None:
                    with contextlib.suppress(KubeError):
                        await self._set_status_field(app, "operationState", state_dict(store.state))

        flusher = asyncio.create_task(flush())
        try:
            return await runner.run()
        finally:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher


def _lookup(model: DiscoveryModel) -> Any:
    def is_namespaced(group: str, kind: str) -> bool | None:
        info = model.find(group, kind)
        return None if info is None else info.namespaced

    return is_namespaced


__all__ = ["Reconciler", "auto_sync_operation", "operation_state_dict"]
