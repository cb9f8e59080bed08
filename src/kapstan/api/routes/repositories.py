"""Repositories (Argo CD's ``RepositoryService``): list, get, create, update, delete,
validate, refs, apps, Helm charts and app details.

Repositories are ``repository`` Secrets in the control-plane namespace; answers never carry a
credential (:meth:`~kapstan.services.repostore.RepoRecord.public`). RBAC is
``repositories, <action>, <project>/<url>`` for a project-scoped repository, else the URL.
The repository URL in the path is URL-encoded, as Argo CD's clients send it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from kapstan.api.body import json_object, read_limited
from kapstan.api.common import JSON, Caller, Ctx
from kapstan.api.context import ApiContext
from kapstan.api.errors import denied, invalid, not_found
from kapstan.api.routes.applications import api_error
from kapstan.api.security import Principal, require
from kapstan.engine.project import Project, source_permitted
from kapstan.kube.errors import KubeError, NotFound
from kapstan.services.repoinspect import ConnectionState, InspectError
from kapstan.services.repostore import (
    InvalidRepository,
    RepoKind,
    RepoRecord,
    RepoType,
    check_url,
    effective,
    find,
    read_records,
    record_from_body,
    secret_name_for,
)
from kapstan.services.typedsecrets import TypedSecrets
from kapstan.source.credentials import RepoCredentials
from kapstan.source.urls import normalize_url

router = APIRouter()
RESOURCE = "repositories"
_PARALLEL_CHECKS = 4


def rbac_object(project: str, url: str) -> str:
    """Argo CD's ``createRBACObject``."""
    return f"{project}/{url}" if project else url


async def records(ctx: ApiContext, kind: RepoKind) -> list[RepoRecord]:
    try:
        return await read_records(ctx.kube, ctx.namespace, kind)
    except KubeError as err:
        raise api_error(err) from None


def credentials(ctx: ApiContext, record: RepoRecord) -> RepoCredentials:
    """The record's credentials with the known hosts and TLS CA the settings hold."""
    repos = ctx.settings().repositories
    host = ""
    if "://" in record.url:
        host = record.url.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1].split(":")[0]
    return record.credentials(repos.known_hosts, repos.tls_certs.get(host.lower()))


async def _resolved(ctx: ApiContext, url: str, project: str | None) -> tuple[RepoRecord, bool]:
    """The configured repository of ``url`` (credentials completed from a template), or an
    unconfigured one (Argo CD's ``getRepo``), and whether it is configured."""
    try:
        check_url(url, helm_oci=True)
    except InvalidRepository as err:
        raise invalid(str(err)) from None
    repos = await records(ctx, RepoKind.REPOSITORY)
    found = find(repos, url, project)
    configured = found is not None
    record = found or RepoRecord(RepoKind.REPOSITORY, {"url": url})
    record, _ = effective(record, await records(ctx, RepoKind.CREDS))
    return record, configured


async def connection(ctx: ApiContext, record: RepoRecord, *, refresh: bool) -> ConnectionState:
    """The record's connection state, from the cache unless ``refresh``."""
    key = f"{normalize_url(record.url)}|{record.project}"
    cache = ctx.admin.repo_connections
    cached = None if refresh else cache.get(key)
    if cached is not None:
        return cached
    state = await ctx.admin.inspector().check(
        record.url,
        credentials(ctx, record),
        helm=record.type == RepoType.HELM and not record.enable_oci,
        oci=record.enable_oci,
    )
    cache.put(key, state)
    return state


def _bool(raw: str | None) -> bool:
    return (raw or "").lower() in ("true", "1")


@router.get("/api/v1/repositories")
async def list_repositories(ctx: Ctx, principal: Caller, forceRefresh: str = "") -> Response:
    templates = await records(ctx, RepoKind.CREDS)
    visible = [
        r
        for r in await records(ctx, RepoKind.REPOSITORY)
        if ctx.may(principal, RESOURCE, "get", rbac_object(r.project, r.url))
    ]
    gate = asyncio.Semaphore(_PARALLEL_CHECKS)

    async def item(record: RepoRecord) -> dict[str, Any]:
        used, inherited = effective(record, templates)
        async with gate:
            state = await connection(ctx, used, refresh=_bool(forceRefresh))
        return {**record.public(inherited=inherited), "connectionState": state.to_dict()}

    items = await asyncio.gather(*(item(r) for r in visible))
    return JSON({"metadata": {}, "items": list(items)})


async def _checked(
    ctx: ApiContext, principal: Principal, url: str, project: str | None = None
) -> RepoRecord:
    """``getRepo`` then RBAC ``get`` (the order Argo CD checks them in)."""
    record, _ = await _resolved(ctx, url, project)
    require(ctx.authz, principal, RESOURCE, "get", rbac_object(record.project, record.url))
    return record


@router.get("/api/v1/repositories/{repo:path}/refs")
async def list_refs(repo: str, ctx: Ctx, principal: Caller) -> Response:
    record = await _checked(ctx, principal, repo)
    if record.type != RepoType.GIT:
        raise invalid(f"{record.url} is not a git repository")
    try:
        refs = await ctx.admin.inspector().refs(record.url, credentials(ctx, record))
    except InspectError as err:
        raise invalid(str(err)) from None
    return JSON(refs)


def _may_create_or_update(ctx: ApiContext, principal: Principal, obj: str) -> bool:
    return ctx.may(principal, "applications", "create", obj) or ctx.may(
        principal, "applications", "update", obj
    )


def _permitted_in(ctx: ApiContext, url: str, project_name: str) -> None:
    raw = ctx.mirror.project(project_name)
    if raw is None:
        raise not_found(f'appprojects.argoproj.io "{project_name}" not found')
    if not source_permitted(Project.from_spec(project_name, raw.get("spec")), url):
        raise denied(f"repository '{url}' not permitted in project '{project_name}'")


@router.get("/api/v1/repositories/{repo:path}/apps")
async def list_apps(
    repo: str,
    ctx: Ctx,
    principal: Caller,
    revision: str = "",
    appName: str = "",
    appProject: str = "",
) -> Response:
    record = await _checked(ctx, principal, repo)
    if not _may_create_or_update(ctx, principal, f"{appProject}/{appName}"):
        raise denied()
    _permitted_in(ctx, record.url, appProject)
    if record.type != RepoType.GIT:
        raise invalid(f"{record.url} is not a git repository")
    try:
        items = await ctx.admin.inspector().apps(record.url, credentials(ctx, record), revision)
    except InspectError as err:
        raise invalid(str(err)) from None
    return JSON({"items": items})


@router.get("/api/v1/repositories/{repo:path}/helmcharts")
async def helm_charts(repo: str, ctx: Ctx, principal: Caller) -> Response:
    record = await _checked(ctx, principal, repo)
    if record.type != RepoType.HELM or record.enable_oci:
        raise invalid(f"{record.url} is not a Helm chart repository served over HTTP(S)")
    try:
        items = await ctx.admin.inspector().helm_charts(record.url, credentials(ctx, record))
    except InspectError as err:
        raise invalid(str(err)) from None
    return JSON({"items": items})


def _in_history(app: Mapping[str, Any], source: Mapping[str, Any]) -> bool:
    """Argo CD's ``isSourceInHistory``: the app's source(s), or one it synced before."""
    spec = app.get("spec") or {}
    known = [spec.get("source") or {}, *(spec.get("sources") or [])]
    for entry in (app.get("status") or {}).get("history") or []:
        if entry.get("source"):
            known.append({**entry["source"], "targetRevision": entry.get("revision", "")})
    return any({k: v for k, v in s.items() if v} == source for s in known)


@router.post("/api/v1/repositories/{repo:path}/appdetails")
async def app_details(repo: str, request: Request, ctx: Ctx, principal: Caller) -> Response:
    data = await json_object(request, ctx.max_body, known={"source", "appName", "appProject"})
    raw = data.get("source")
    if not isinstance(raw, dict):
        raise invalid("missing payload in request")
    source = {k: v for k, v in {**raw, "repoURL": repo}.items() if v}
    app_name, app_project = str(data.get("appName") or ""), str(data.get("appProject") or "")
    record = await _checked(ctx, principal, repo)
    obj = rbac_object(app_project, app_name)
    require(ctx.authz, principal, "applications", "get", obj)
    app = ctx.mirror.app(app_name)
    if app is None:
        require(ctx.authz, principal, "applications", "create", obj)
    elif (app.get("spec") or {}).get("project") != app_project or not _in_history(app, source):
        raise denied()
    _permitted_in(ctx, record.url, app_project)
    try:
        details = await ctx.admin.inspector().app_details(source, credentials(ctx, record))
    except InspectError as err:
        raise invalid(str(err)) from None
    return JSON(details)


_ACCESS_FIELDS = (
    "username", "password", "sshPrivateKey", "insecure", "tlsClientCertData", "tlsClientCertKey",
    "type", "name", "enableOci", "githubAppPrivateKey", "githubAppID", "githubAppInstallationID",
    "githubAppEnterpriseBaseUrl", "proxy", "noProxy", "project", "gcpServiceAccountKey",
    "forceHttpBasicAuth", "useAzureWorkloadIdentity", "bearerToken", "insecureOciForceHttp",
)  # fmt: skip


async def _access_query(request: Request, ctx: ApiContext, repo: str) -> dict[str, Any]:
    """``RepoAccessQuery``: Argo CD's form (the body is the URL as a JSON string, the rest
    query parameters) or, so that no password has to travel in a URL, a JSON object body."""
    raw = await read_limited(request, ctx.max_body)
    try:
        body = orjson.loads(raw) if raw.strip() else None
    except orjson.JSONDecodeError:
        raise invalid("invalid JSON body") from None
    query: dict[str, Any] = {k: v for k, v in request.query_params.items() if k in _ACCESS_FIELDS}
    for key in ("insecure", "enableOci", "forceHttpBasicAuth", "useAzureWorkloadIdentity"):
        if key in query:
            query[key] = _bool(query[key])
    if isinstance(body, dict):
        unknown = sorted(set(body) - {*_ACCESS_FIELDS, "repo"})
        if unknown:
            raise invalid(f"unknown field(s) in the request body: {', '.join(unknown)}")
        query.update(body)
    elif body is not None and not isinstance(body, str):
        raise invalid("the request body must be the repository URL or an object")
    query["repo"] = repo
    if "enableOci" in query:
        query["enableOCI"] = query.pop("enableOci")
    if "insecureOciForceHttp" in query:
        query["insecureOCIForceHttp"] = query.pop("insecureOciForceHttp")
    return query


@router.post("/api/v1/repositories/{repo:path}/validate")
async def validate_access(repo: str, request: Request, ctx: Ctx, principal: Caller) -> Response:
    """Connect with the given credentials (or a template's); nothing is saved."""
    query = await _access_query(request, ctx, repo)
    try:
        record = record_from_body(query, RepoKind.REPOSITORY)
    except InvalidRepository as err:
        raise invalid(str(err)) from None
    require(ctx.authz, principal, RESOURCE, "create", rbac_object(record.project, record.url))
    record, _ = effective(record, await records(ctx, RepoKind.CREDS))
    state = await connection(ctx, record, refresh=True)
    ctx.admin.repo_connections.drop(f"{normalize_url(record.url)}|{record.project}")
    if state.status.value == "Failed":
        raise invalid(state.message)
    return JSON({})


@router.get("/api/v1/repositories/{repo:path}")
async def get_repository(
    repo: str,
    ctx: Ctx,
    principal: Caller,
    forceRefresh: str = "",
    appProject: str = "",
) -> Response:
    record, configured = await _resolved(ctx, repo, appProject or None)
    require(ctx.authz, principal, RESOURCE, "get", rbac_object(record.project, record.url))
    if not configured:
        raise not_found(f"repo '{repo}' not found")
    own = find(await records(ctx, RepoKind.REPOSITORY), repo, appProject or None)
    assert own is not None
    state = await connection(ctx, record, refresh=_bool(forceRefresh))
    public = own.public(inherited=not own.has_credentials and record.has_credentials)
    return JSON({**public, "connectionState": state.to_dict()})


def _summary(record: RepoRecord) -> dict[str, Any]:
    out = {"repo": record.url, "type": record.type.value}
    if record.values.get("name"):
        out["name"] = record.values["name"]
    return out


async def write_record(ctx: ApiContext, record: RepoRecord, existing: RepoRecord | None) -> None:
    """Create ``record``'s Secret, or replace the values of ``existing``'s."""
    store = TypedSecrets(ctx.kube, ctx.namespace, record.kind.value)
    try:
        if existing is None:
            await store.create(store.build(secret_name_for(record), record.values))
        else:
            current = await ctx.kube.get(
                f"/api/v1/namespaces/{ctx.namespace}/secrets/{existing.secret}"
            )
            await store.replace(store.build(existing.secret, record.values, base=current))
    except KubeError as err:
        raise api_error(err) from None
    ctx.admin.repo_connections.drop(f"{normalize_url(record.url)}|{record.project}")


async def _body_record(request: Request, ctx: ApiContext, kind: RepoKind) -> RepoRecord:
    try:
        return record_from_body(await json_object(request, ctx.max_body), kind)
    except InvalidRepository as err:
        raise invalid(str(err)) from None


@router.post("/api/v1/repositories")
async def create_repository(
    request: Request,
    ctx: Ctx,
    principal: Caller,
    upsert: bool = False,
    credsOnly: bool = False,
) -> Response:
    if credsOnly:
        from kapstan.api.routes.repocreds import create_creds

        return await create_creds(request, ctx, principal, upsert)
    record = await _body_record(request, ctx, RepoKind.REPOSITORY)
    require(ctx.authz, principal, RESOURCE, "create", rbac_object(record.project, record.url))
    if not record.project:
        used, _ = effective(record, await records(ctx, RepoKind.CREDS))
        state = await connection(ctx, used, refresh=True)
        if state.status.value == "Failed":
            raise invalid(state.message)
    existing = find(await records(ctx, RepoKind.REPOSITORY), record.url, record.project)
    if existing is not None and not existing.same_settings(record):
        if not upsert:
            raise invalid("existing repository spec is different; use upsert flag to force update")
        require(ctx.authz, principal, RESOURCE, "update", rbac_object(record.project, record.url))
    if existing is None or not existing.same_settings(record):
        await write_record(ctx, record, existing)
    return JSON(_summary(record))


@router.put("/api/v1/repositories/{repo:path}")
async def update_repository(repo: str, request: Request, ctx: Ctx, principal: Caller) -> Response:
    record = await _body_record(request, ctx, RepoKind.REPOSITORY)
    existing = find(await records(ctx, RepoKind.REPOSITORY), repo)
    old_project = existing.project if existing is not None else ""
    require(ctx.authz, principal, RESOURCE, "update", rbac_object(old_project, repo))
    require(ctx.authz, principal, RESOURCE, "update", rbac_object(record.project, record.url))
    if existing is None:
        raise not_found(f"repository '{repo}' not found")
    await write_record(ctx, record, existing)
    return JSON(_summary(record))


@router.delete("/api/v1/repositories/{repo:path}")
async def delete_repository(
    repo: str,
    ctx: Ctx,
    principal: Caller,
    appProject: str = "",
) -> Response:
    existing = find(await records(ctx, RepoKind.REPOSITORY), repo, appProject or None)
    project = existing.project if existing is not None else ""
    require(ctx.authz, principal, RESOURCE, "delete", rbac_object(project, repo))
    if existing is None:
        raise not_found(f"repo '{repo}' not found")
    try:
        await TypedSecrets(ctx.kube, ctx.namespace, RepoKind.REPOSITORY.value).delete(
            existing.secret
        )
    except NotFound:
        pass
    except KubeError as err:
        raise api_error(err) from None
    ctx.admin.repo_connections.drop(f"{normalize_url(existing.url)}|{existing.project}")
    return JSON({})


__all__ = ["credentials", "rbac_object", "records", "router", "write_record"]
