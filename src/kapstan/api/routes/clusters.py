"""Clusters (Argo CD's ``ClusterService``): list, get, create, update, delete and
invalidate-cache, over the in-cluster cluster and ``cluster`` Secrets.

RBAC is ``clusters, <action>, <project>/<server>`` for a project-scoped cluster, else the
server URL (the name is tried too, as Argo CD does). A cluster that does not exist is
PermissionDenied, as in Argo CD, so that a caller cannot probe for clusters. Answers never
carry a credential; ``connectionState``/``serverVersion``/``info`` are best effort: a cached
probe result (``/version`` asked with the cluster's credentials) or ``Unknown``.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from kapstan.api.body import json_object
from kapstan.api.common import JSON, Caller, Ctx
from kapstan.api.context import ApiContext
from kapstan.api.errors import ApiError, denied, invalid
from kapstan.api.routes.applications import api_error
from kapstan.api.security import Principal, require
from kapstan.kube.errors import KubeError, NotFound
from kapstan.model.vocabulary import IN_CLUSTER_URL, REFRESH, SECRET_TYPE_CLUSTER, secrets_path
from kapstan.services.clusterstore import (
    ClusterRecord,
    InvalidCluster,
    NotProbed,
    probe,
    read_clusters,
    record_from_body,
    secret_name_for,
)
from kapstan.services.repoinspect import ConnectionState, ConnectionStatus
from kapstan.services.typedsecrets import TypedSecrets

router = APIRouter()
RESOURCE = "clusters"


def _may(ctx: ApiContext, principal: Principal, action: str, record: ClusterRecord) -> bool:
    """Argo CD's ``enforceClusterAccessErr``: the server URL, else the cluster name."""
    if ctx.may(principal, RESOURCE, action, record.rbac_object):
        return True
    by_name = f"{record.project}/{record.name}" if record.project else record.name
    return bool(record.name) and ctx.may(principal, RESOURCE, action, by_name)


async def _all(ctx: ApiContext) -> list[ClusterRecord]:
    enabled = ctx.settings().cm.get("cluster.inClusterEnabled", "true").lower() != "false"
    try:
        return await read_clusters(ctx.kube, ctx.namespace, in_cluster_enabled=enabled)
    except KubeError as err:
        raise api_error(err) from None


def _select(records: list[ClusterRecord], id_type: str, value: str) -> list[ClusterRecord]:
    if id_type in ("name", "name_escaped"):
        return [r for r in records if r.name == value][:1]
    return [r for r in records if r.server == value.rstrip("/")][:1]


def _info(ctx: ApiContext, record: ClusterRecord) -> dict[str, Any]:
    state = ctx.admin.cluster_info.get(record.server) or ConnectionState(
        ConnectionStatus.UNKNOWN, "", datetime.now(UTC)
    )
    version = state.message if state.status == ConnectionStatus.SUCCESSFUL else ""
    shown = ConnectionState(state.status, "" if version else state.message, state.attempted_at)
    apps = 0
    for app in ctx.mirror.apps():
        dest = (app.get("spec") or {}).get("destination") or {}
        if dest.get("server") == record.server or (
            not dest.get("server") and dest.get("name") == record.name
        ):
            apps += 1
    info: dict[str, Any] = {"connectionState": shown.to_dict(), "applicationsCount": str(apps)}
    info["cacheInfo"] = {}
    if version:
        info["serverVersion"] = version
    return info


async def _probe(ctx: ApiContext, record: ClusterRecord) -> str:
    """The server version (cached as the cluster's info); ApiError when unreachable."""
    prober = ctx.admin.probe_cluster
    try:
        if prober is not None:
            version = await prober(record)
        else:
            version = await probe(record, ctx.kube, ctx.admin.timeout)
    except NotProbed as err:
        ctx.admin.cluster_info.put(
            record.server, ConnectionState(ConnectionStatus.UNKNOWN, str(err))
        )
        return ""
    except (InvalidCluster, RuntimeError, OSError, ValueError) as err:
        message = str(err).replace(record.config.get("bearerToken") or "\0", "***")
        ctx.admin.cluster_info.put(record.server, ConnectionState(ConnectionStatus.FAILED, message))
        raise invalid(f"error getting server version: {message}") from None
    ctx.admin.cluster_info.put(record.server, ConnectionState(ConnectionStatus.SUCCESSFUL, version))
    return version


def _view(ctx: ApiContext, record: ClusterRecord) -> dict[str, Any]:
    return record.public(_info(ctx, record))


@router.get("/api/v1/clusters")
async def list_clusters(
    ctx: Ctx,
    principal: Caller,
    server: str = "",
    name: str = "",
    id_type: str = Query(default="", alias="id.type"),
    id_value: str = Query(default="", alias="id.value"),
) -> Response:
    found = await _all(ctx)
    if id_value:
        found = _select(found, id_type, id_value)
    if name:
        found = [r for r in found if r.name == name][:1]
    if server:
        found = [r for r in found if r.server == server.rstrip("/")][:1]
    items = [_view(ctx, r) for r in found if _may(ctx, principal, "get", r)]
    return JSON({"metadata": {}, "items": items})


async def _find(
    ctx: ApiContext, principal: Principal, action: str, value: str, id_type: str
) -> ClusterRecord:
    """Argo CD's ``getClusterAndVerifyAccess``: missing or forbidden are both 403."""
    found = _select(await _all(ctx), id_type, value)
    if not found or not _may(ctx, principal, action, found[0]):
        raise denied()
    return found[0]


@router.get("/api/v1/clusters/{value:path}")
async def get_cluster(
    value: str,
    ctx: Ctx,
    principal: Caller,
    id_type: str = Query(default="", alias="id.type"),
) -> Response:
    record = await _find(ctx, principal, "get", value, id_type)
    if ctx.admin.cluster_info.get(record.server) is None:
        with contextlib.suppress(ApiError):  # the failure shows in connectionState
            await _probe(ctx, record)
    return JSON(_view(ctx, record))


def _store(ctx: ApiContext) -> TypedSecrets:
    return TypedSecrets(ctx.kube, ctx.namespace, SECRET_TYPE_CLUSTER)


async def _write(ctx: ApiContext, record: ClusterRecord, existing: ClusterRecord | None) -> None:
    store = _store(ctx)
    labels, annotations = dict(record.labels), dict(record.annotations)
    try:
        if existing is None or not existing.secret:
            secret = store.build(secret_name_for(record.server), record.values(), labels=labels,
                                 annotations=annotations)  # fmt: skip
            await store.create(secret)
        else:
            current = await ctx.kube.get(secrets_path(ctx.namespace, existing.secret))
            secret = store.build(existing.secret, record.values(), labels=labels,
                                 annotations=annotations, base=current)  # fmt: skip
            await store.replace(secret)
    except KubeError as err:
        raise api_error(err) from None


def _body(data: dict[str, Any]) -> ClusterRecord:
    try:
        return record_from_body(data)
    except InvalidCluster as err:
        raise invalid(str(err)) from None


@router.post("/api/v1/clusters")
async def create_cluster(
    request: Request, ctx: Ctx, principal: Caller, upsert: bool = False
) -> Response:
    record = _body(await json_object(request, ctx.max_body))
    require(ctx.authz, principal, RESOURCE, "create", record.rbac_object)
    await _probe(ctx, record)
    existing = next((r for r in await _all(ctx) if r.server == record.server), None)
    if existing is not None and existing.secret:
        if existing.values() == record.values():
            return JSON(_view(ctx, existing))
        if not upsert:
            raise invalid("existing cluster spec is different; use upsert flag to force update")
        return await _update(ctx, principal, existing, record, [])
    await _write(ctx, record, existing)
    return JSON(_view(ctx, record))


async def _update(
    ctx: ApiContext,
    principal: Principal,
    existing: ClusterRecord,
    given: ClusterRecord,
    fields: list[str],
) -> Response:
    if not _may(ctx, principal, "update", existing):
        raise denied()
    if not fields or "project" in fields:
        moved = ClusterRecord(existing.server, existing.name, project=given.project)
        if not _may(ctx, principal, "update", moved):
            raise denied()
    record = existing.with_fields(given, fields) if fields else given
    await _probe(ctx, record)
    await _write(ctx, record, existing)
    return JSON(_view(ctx, record))


@router.put("/api/v1/clusters/{value:path}")
async def update_cluster(
    value: str,
    request: Request,
    ctx: Ctx,
    principal: Caller,
    updated_fields: list[str] = Query(default=[], alias="updatedFields"),  # noqa: B008
    id_type: str = Query(default="", alias="id.type"),
) -> Response:
    given = _body(await json_object(request, ctx.max_body))
    existing = await _find(ctx, principal, "update", value, id_type)
    if given.server != existing.server:
        raise invalid("cluster.server does not match the cluster being updated")
    fields = [f for item in updated_fields for f in item.split(",") if f]
    return await _update(ctx, principal, existing, given, fields)


@router.delete("/api/v1/clusters/{value:path}")
async def delete_cluster(
    value: str,
    ctx: Ctx,
    principal: Caller,
    id_type: str = Query(default="", alias="id.type"),
) -> Response:
    records = await _all(ctx)
    found = _select(records, id_type, value)
    if not found:
        raise denied()
    targets = [r for r in records if r.name == found[0].name] if id_type == "name" else found
    for record in targets:
        if not _may(ctx, principal, "delete", record):
            raise denied()
    for record in targets:
        if not record.secret:
            if record.server == IN_CLUSTER_URL:
                raise invalid("the in-cluster cluster cannot be deleted (it has no Secret)")
            continue
        try:
            await _store(ctx).delete(record.secret)
        except NotFound:
            pass
        except KubeError as err:
            raise api_error(err) from None
        ctx.admin.cluster_info.drop(record.server)
    return JSON({})


@router.post("/api/v1/clusters/{value:path}/invalidate-cache")
async def invalidate_cache(
    value: str,
    ctx: Ctx,
    principal: Caller,
    id_type: str = Query(default="", alias="id.type"),
) -> Response:
    """Argo CD's ``InvalidateCache``: record ``refreshRequestedAt`` (the
    ``argocd.argoproj.io/refresh`` annotation on the cluster Secret) and forget the cached
    connection state."""
    record = await _find(ctx, principal, "update", value, id_type)
    ctx.admin.cluster_info.drop(record.server)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if record.secret:
        patch = {"metadata": {"annotations": {REFRESH: stamp}}}
        try:
            await ctx.kube.request(
                "PATCH",
                secrets_path(ctx.namespace, record.secret),
                None,
                patch,
                content_type="application/merge-patch+json",
            )
        except KubeError as err:
            raise api_error(err) from None
    annotations = {**record.annotations, REFRESH: stamp}
    shown = ClusterRecord(**{**record.__dict__, "annotations": annotations})
    return JSON(_view(ctx, shown))


__all__ = ["router"]
