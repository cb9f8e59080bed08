"""Watch streams: ``GET /api/v1/stream/applications`` and
``GET /api/v1/stream/applications/{name}/resource-tree``.

Contract (Argo CD's ``Watch`` and ``WatchResourceTree``):

- frames are grpc-gateway's newline-delimited ``{"result": …}`` JSON, or Server-Sent Events
  (``data: {"result": …}`` and a blank line) when the client accepts ``text/event-stream``
  (the browser's ``EventSource``, authenticated by the ``argocd.token`` cookie);
- the application stream sends ``{"type": ADDED|MODIFIED|DELETED, "application": …}``: first an
  ADDED for every matching app when no ``resourceVersion`` is given or one app is ``name``-d,
  then every change; it is filtered by ``name``, ``names``, ``projects``, ``selector``,
  ``repo`` and per app by RBAC (``applications, get``), and ``fields`` projects each frame
  (``result.application.metadata.name``…);
- the resource-tree stream sends the app's tree now (when there is one) and whenever the
  controller publishes a newer one;
- a stream stays open and may send nothing until something changes; a client that falls
  :data:`BACKLOG` frames behind is disconnected (it reconnects and gets a fresh list), so a slow
  reader never holds memory or delays the others.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import orjson
from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from kapstan.api.common import Caller, Ctx, find_app
from kapstan.api.context import ApiContext
from kapstan.api.fields import Tree, parse_fields, project
from kapstan.api.routes.applications import app_filter, visible
from kapstan.api.security import Principal
from kapstan.services.snapshots import Snapshot

router = APIRouter()
BACKLOG = 1000  # frames queued for one client before it is dropped
TREE_POLL = 5.0  # seconds between looks at the snapshot store when the app is quiet
EVENT_STREAM = "text/event-stream"
NDJSON = "application/json"


def wants_sse(request: Request) -> bool:
    """Whether the client asked for Server-Sent Events."""
    return EVENT_STREAM in request.headers.get("accept", "")


def frame(result: Any, sse: bool) -> bytes:
    """One ``{"result": …}`` frame, NDJSON or SSE."""
    body = orjson.dumps({"result": result})
    return b"data: " + body + b"\n\n" if sse else body + b"\n"


def stream_response(frames: AsyncIterator[bytes], sse: bool) -> Response:
    """A streaming answer of ``frames`` (closed when the client goes away)."""
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(frames, media_type=EVENT_STREAM if sse else NDJSON, headers=headers)


def _event_result(kind: str, app: Mapping[str, Any], fields: Tree | None) -> Any:
    return project({"type": kind, "application": app}, fields)


async def app_events(
    ctx: ApiContext,
    principal: Principal,
    keep: Callable[[Mapping[str, Any]], bool],
    initial: bool,
) -> AsyncIterator[tuple[str, Mapping[str, Any]]]:
    """The application watch's events ``(ADDED|MODIFIED|DELETED, app)`` for ``principal``:
    the initial list when ``initial``, then every change ``keep`` accepts, each checked by RBAC
    when it is sent; ends after :data:`BACKLOG` unread events (see the module contract).
    Shared by this stream and the multiplexed one."""
    queue: asyncio.Queue[tuple[str, Mapping[str, Any]] | None] = asyncio.Queue()
    overflow = False

    def on_event(kind: str, app: Mapping[str, Any]) -> None:
        nonlocal overflow
        if overflow:
            return
        if queue.qsize() >= BACKLOG:
            overflow = True
            queue.put_nowait(None)  # the reader stops at this marker
            return
        queue.put_nowait((kind, app))

    unsubscribe = ctx.mirror.subscribe(on_event)
    try:
        if initial:
            for listed in ctx.mirror.apps():
                if keep(listed) and visible(ctx, principal, listed):
                    yield "ADDED", listed
        while True:
            item = await queue.get()
            if item is None:
                return
            kind, app = item
            # RBAC is checked per event: argocd-rbac-cm changes apply to open streams too.
            if keep(app) and visible(ctx, principal, app):
                yield kind, app
    finally:
        unsubscribe()


async def _app_frames(
    ctx: ApiContext,
    principal: Principal,
    keep: Callable[[Mapping[str, Any]], bool],
    initial: bool,
    fields: Tree | None,
    sse: bool,
) -> AsyncIterator[bytes]:
    async for kind, app in app_events(ctx, principal, keep, initial):
        yield frame(_event_result(kind, app, fields), sse)


@router.get("/api/v1/stream/applications")
def watch_applications(
    request: Request,
    ctx: Ctx,
    principal: Caller,
    name: str = "",
    projects: list[str] = Query(default=[]),  # noqa: B008 - FastAPI's query declaration
    selector: str = "",
    repo: str = "",
    resource_version: str = Query(default="", alias="resourceVersion"),
    fields: str | None = None,
    names: list[str] = Query(default=[]),  # noqa: B008 - FastAPI's query declaration
) -> Response:
    projects = [p for v in projects for p in v.split(",") if p]
    keep = app_filter(name, projects, selector, repo, names)
    initial = not resource_version or bool(name)
    sse = wants_sse(request)
    frames = _app_frames(ctx, principal, keep, initial, result_fields(fields), sse)
    return stream_response(frames, sse)


def result_fields(fields: str | None) -> Tree | None:
    """``fields`` of a stream name paths under ``result.``; the frame's body is the result."""
    tree = parse_fields(fields)
    if tree is None:
        return None
    inner = tree.get("result")
    return {k: v for k, v in inner.items() if k} if isinstance(inner, dict) and inner else None


async def tree_events(ctx: ApiContext, name: str) -> AsyncIterator[Mapping[str, Any]]:
    """The resource tree of app ``name`` now (when there is one) and each newer one the
    controller publishes (the caller checked ``applications, get``). Shared by this stream and
    the multiplexed one."""
    changed = asyncio.Event()

    def on_event(_kind: str, app: Mapping[str, Any]) -> None:
        if (app.get("metadata") or {}).get("name") == name:
            changed.set()

    unsubscribe = ctx.mirror.subscribe(on_event)
    sent: Snapshot | None = None
    try:
        while True:
            snapshot = await ctx.snapshots.get(ctx.namespace, name)
            fresh = snapshot is not None and snapshot is not sent
            if snapshot is not None and fresh and (sent is None or snapshot.tree != sent.tree):
                sent = snapshot
                yield dict(snapshot.tree)
            changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), TREE_POLL)
    finally:
        unsubscribe()


async def _tree_frames(ctx: ApiContext, name: str, sse: bool) -> AsyncIterator[bytes]:
    async for tree in tree_events(ctx, name):
        yield frame(tree, sse)


@router.get("/api/v1/stream/applications/{name}/resource-tree")
def watch_resource_tree(
    name: str,
    request: Request,
    ctx: Ctx,
    principal: Caller,
    project_name: str = Query(default="", alias="project"),
) -> Response:
    find_app(ctx, principal, "get", name, project_name)
    sse = wants_sse(request)
    return stream_response(_tree_frames(ctx, name, sse), sse)


__all__ = [
    "BACKLOG",
    "app_events",
    "frame",
    "result_fields",
    "router",
    "stream_response",
    "tree_events",
    "wants_sse",
]
