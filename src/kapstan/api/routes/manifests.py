"""What Git says about an app: ``GET /api/v1/applications/{name}/manifests`` and
``GET .../revisions/{revision}/metadata`` (and ``.../chartdetails``), as Argo CD's
``GetManifests``, ``RevisionMetadata`` and ``RevisionChartDetails``.

Contract: RBAC ``applications, get``; the repo-server role is ``ctx.manifests``
(:class:`~kapstan.services.manifests.ManifestService`, credentials from the watched
repository Secrets; Unavailable without one).

- manifests: the app's source rendered at ``revision`` (single source) or, for
  ``spec.sources``, each ``sourcePositions[i]`` (1-based) at ``revisions[i]``; objects get
  the destination namespace when they have none and are namespaced, and the tracking mark of
  the configured method, as a sync would write them; Secret values are masked as Argo CD
  masks them; each manifest is JSON text with sorted keys. The answer is
  ``repositoryManifestResponse``: ``manifests``, ``namespace``, ``server``, ``revision`` and
  ``sourceType`` (of the first rendered source). A generation failure is code 2;
- metadata: the commit ``revision`` of the source ``sourceIndex`` (of the history entry
  ``versionId`` when given), read through the generator's cached clone:
  ``v1alpha1RevisionMetadata`` ``{author, date, tags, message}``;
- chartdetails: a source without ``chart`` is Argo CD's error; Helm chart details are not
  read yet (Unimplemented).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from kapstan.api.common import JSON, Caller, Ctx
from kapstan.api.context import ApiContext
from kapstan.api.errors import ApiError, Code
from kapstan.api.live import Scope, lookup_app
from kapstan.engine.pairing import with_namespace
from kapstan.engine.redact import hide_secret_data, sensitive_annotations
from kapstan.kube.discovery import DiscoveryModel
from kapstan.kube.errors import KubeError
from kapstan.services.clusters import DestinationError
from kapstan.services.manifests import (
    GeneratedManifests,
    ManifestGenerationError,
    ManifestService,
)

router = APIRouter()


def service(ctx: ApiContext) -> ManifestService:
    if ctx.manifests is None:
        raise ApiError(Code.UNAVAILABLE, "manifest generation is not configured")
    return ctx.manifests


def unknown(message: str) -> ApiError:
    return ApiError(Code.UNKNOWN, message)


def sources_for(
    spec: Mapping[str, Any], revision: str, positions: list[int], revisions: list[str]
) -> tuple[dict[str, Any] | None, list[dict[str, Any]] | None]:
    """``(source, sources)`` to render, with the asked revisions applied."""
    if spec.get("sources"):
        sources = [dict(s) for s in copy.deepcopy(spec["sources"])]
        for i, position in enumerate(positions):
            if position <= 0 or position > len(sources):
                raise unknown("source position is out of range")
            if i < len(revisions):
                sources[position - 1]["targetRevision"] = revisions[i]
        return None, sources
    source = dict(copy.deepcopy(spec.get("source") or {}))
    if revision:
        source["targetRevision"] = revision
    return source, None


async def _model(ctx: ApiContext, app: Mapping[str, Any]) -> DiscoveryModel | None:
    if ctx.clusters is None:
        return None
    try:
        cluster = await ctx.clusters.resolve((app.get("spec") or {}).get("destination") or {})
        return await cluster.discovery.model()
    except (DestinationError, KubeError):
        return None  # objects keep their namespace as rendered


@router.get("/api/v1/applications/{name}/manifests")
async def manifests(
    name: str,
    ctx: Ctx,
    principal: Caller,
    scope: Scope,
    revision: str = "",
    source_positions: list[int] = Query(default=[], alias="sourcePositions"),  # noqa: B008
    revisions: list[str] = Query(default=[]),  # noqa: B008
) -> Response:
    """``repositoryManifestResponse``."""
    app = lookup_app(ctx, principal, "get", name, scope)
    spec = app.get("spec") or {}
    destination = spec.get("destination") or {}
    namespace = str(destination.get("namespace") or "")
    source, sources = sources_for(spec, revision, source_positions, revisions)
    try:
        generated = await service(ctx).generate(
            app_name=name, namespace=namespace, source=source, sources=sources
        )
    except ManifestGenerationError as err:
        raise unknown(f"error generating manifests: {err}") from None
    return await manifest_response(ctx, app, name, generated)


async def manifest_response(
    ctx: ApiContext,
    app: Mapping[str, Any],
    name: str,
    generated: GeneratedManifests,
    *,
    mask: bool = True,
) -> Response:
    """``repositoryManifestResponse`` of ``generated`` for ``app`` (see the module contract:
    namespaced, tracking-stamped, JSON text with sorted keys; Secret values masked unless
    ``mask`` is False)."""
    spec = app.get("spec") or {}
    destination = spec.get("destination") or {}
    namespace = str(destination.get("namespace") or "")
    model = await _model(ctx, app)
    settings = ctx.settings()
    hidden = sensitive_annotations(settings.cm)
    out = []
    for obj in generated.objects:
        placed = with_namespace(obj, namespace, model.namespaced if model else lambda g, k: None)
        stamped = settings.settings.tracking.stamp(name, placed)
        shown = hide_secret_data(stamped, None, hidden)[0] if mask else stamped
        out.append(orjson.dumps(shown, option=orjson.OPT_SORT_KEYS).decode())
    body: dict[str, Any] = {"manifests": out}
    body["namespace"] = namespace
    body["server"] = str(destination.get("server") or destination.get("name") or "")
    rendered = [i for i, t in enumerate(generated.source_types) if t]
    if rendered:
        body["revision"] = generated.revisions[rendered[0]]
        body["sourceType"] = str(generated.source_types[rendered[0]])
    return JSON({k: v for k, v in body.items() if v or k == "manifests"})


@dataclass(frozen=True)
class SourcePick:
    """Which source a revision query means: ``sourceIndex`` of the spec, or of the history
    entry ``versionId``."""

    index: int | None = None
    version: int | None = None


def source_pick(
    source_index: int | None = Query(default=None, alias="sourceIndex"),
    version_id: int | None = Query(default=None, alias="versionId"),
) -> SourcePick:
    """The query parameters that pick a source (a FastAPI dependency)."""
    return SourcePick(source_index, version_id)


Pick = Annotated[SourcePick, Depends(source_pick)]


def source_of(app: Mapping[str, Any], pick: SourcePick) -> dict[str, Any]:
    """Argo CD's ``getAppSourceBySourceIndexAndVersionId``."""
    index, version = pick.index, pick.version
    spec = app.get("spec") or {}
    listed = list(spec.get("sources") or [])
    source = dict(listed[0]) if listed else dict(spec.get("source") or {})
    if index is not None:
        if index < 0 or index >= len(listed):
            raise unknown(
                f"source index {index} not found because there are only {len(listed)} sources"
            )
        source = dict(listed[index])
    if version is not None:
        history = ((app.get("status") or {}).get("history")) or []
        if not history:
            raise unknown(f"version ID {version} not found because the app has no history")
        entry = next((h for h in history if h.get("id") == version), None)
        if entry is None:
            raise unknown(f"revision history not found for version ID {version}")
        entries = list(entry.get("sources") or []) or [entry.get("source") or {}]
        position = index or 0
        if position >= len(entries):
            raise unknown(f"source index {position} not found in history entry {version}")
        source = dict(entries[position])
    return source


@router.get("/api/v1/applications/{name}/revisions/{revision}/metadata")
async def revision_metadata(
    name: str,
    revision: str,
    ctx: Ctx,
    principal: Caller,
    scope: Scope,
    pick: Pick,
) -> Response:
    """``v1alpha1RevisionMetadata``."""
    app = lookup_app(ctx, principal, "get", name, scope)
    source = source_of(app, pick)
    if source.get("chart"):
        raise unknown("a Helm chart has no commit metadata; use .../chartdetails")
    try:
        found = await service(ctx).revision_metadata(str(source.get("repoURL") or ""), revision)
    except ManifestGenerationError as err:
        raise unknown(f"error getting revision metadata: {err}") from None
    body: dict[str, Any] = {
        "author": found.author,
        "date": datetime.fromtimestamp(found.timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "message": found.message,
    }
    if found.tags:
        body["tags"] = list(found.tags)
    return JSON(body)


@router.get("/api/v1/applications/{name}/revisions/{revision}/chartdetails")
async def chart_details(
    name: str,
    revision: str,
    ctx: Ctx,
    principal: Caller,
    scope: Scope,
    pick: Pick,
) -> Response:
    """``v1alpha1ChartDetails`` (not read yet, see the module contract)."""
    app = lookup_app(ctx, principal, "get", name, scope)
    source = source_of(app, pick)
    if not source.get("chart"):
        raise unknown(f"no chart found for application: {name}")
    del revision
    raise ApiError(Code.UNIMPLEMENTED, "Helm chart details are not supported yet")


__all__ = ["manifest_response", "router", "service", "source_of", "sources_for", "unknown"]
