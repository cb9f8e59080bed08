"""Kapstan's own multiplexed stream: several watches over one Server-Sent Events connection, so
a browser tab needs one connection however many lists and trees it watches (Argo CD's UI
opens one ``EventSource`` per watch and meets the browser's six-connection limit).

Contract:

- ``GET /api/v1/stream/multiplex`` (cookie or bearer, as every stream) opens a session bound
  to the caller's user and answers ``text/event-stream``. The first event is
  ``{"stream": ID, "limits": {"topics", "streams"}}``; then ``{"topic": T, "result": R}`` for
  each result of topic T (R exactly as the topic's own stream sends it: ``{"type",
  "application"}`` for ``applications``, the tree for ``tree``), ``{"topic": T, "ended": true,
  "error": MESSAGE}`` when a topic's watch ends on its own (the client may add it again), and
  a ``: keep-alive`` comment after :attr:`StreamLimits.keepalive` quiet seconds. More than
  ``streams_per_user`` open streams of one user is ResourceExhausted (429). The session, and
  every watch of it, ends when the connection closes; a connection that falls
  ``backlog`` events behind is closed (reconnect and add the topics again).
- ``POST /api/v1/stream/multiplex/{id}/topics`` with ``{"remove": [T...], "add": [TOPIC...]}``
  (removals first) changes the session's topics without reconnecting. ``TOPIC`` is
  ``{"id": T, "type": "applications", "name", "names", "projects", "selector", "repo",
  "appNamespace", "resourceVersion", "fields"}`` (the query of
  ``/api/v1/stream/applications``; ``projects``/``names`` a list or a comma list) or
  ``{"id": T, "type": "tree", "name", "appNamespace", "project"}`` (that of
  ``.../resource-tree``). The same user only (another's session: PermissionDenied; an unknown
  or closed one: NotFound); adds are all checked first (a tree needs ``applications, get`` on
  its app), so a refused request changes nothing; an id already open, an unknown field or
  type: InvalidArgument; past ``topics_per_stream``: ResourceExhausted. Results of an
  ``applications`` topic are filtered by RBAC per event, as on its own stream; the producers
  are that stream's (:func:`~kapstan.api.routes.streams.app_events`, ``tree_events``).
  The answer is ``{"stream": ID, "topics": [T...]}``.

Sessions live in the API server's memory: behind several replicas, the POST must reach the
replica holding the connection (sticky sessions), as for any SSE stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Mapping
from enum import StrEnum
from typing import Any

import orjson
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from kapstan.api.body import json_object
from kapstan.api.common import JSON, Caller, Ctx
from kapstan.api.context import ApiContext
from kapstan.api.errors import invalid
from kapstan.api.fields import Tree, project
from kapstan.api.live import AppScope, lookup_app
from kapstan.api.routes.applications import app_filter
from kapstan.api.routes.streams import EVENT_STREAM, app_events, result_fields, tree_events
from kapstan.api.security import Principal
from kapstan.api.streamsessions import (
    OVERFLOW,
    Item,
    Session,
    Sessions,
    StreamLimits,
    described,
)

router = APIRouter()
BODY_LIMIT = 64 * 1024
LIMITS = StreamLimits()
TOPIC_ID = re.compile(r"^[A-Za-z0-9._:/-]{1,100}$")


class TopicType(StrEnum):
    APPLICATIONS = "applications"
    TREE = "tree"


FIELDS: dict[TopicType, frozenset[str]] = {
    TopicType.APPLICATIONS: frozenset(
        {
            "id",
            "type",
            "name",
            "names",
            "projects",
            "selector",
            "repo",
            "appNamespace",
            "resourceVersion",
            "fields",
        }
    ),
    TopicType.TREE: frozenset({"id", "type", "name", "appNamespace", "project"}),
}


def sessions_of(request: Request) -> Sessions:
    """The server's sessions (made on first use, with :data:`LIMITS`)."""
    state = request.app.state
    found = getattr(state, "multiplex_sessions", None)
    if found is None:
        found = Sessions(LIMITS)
        state.multiplex_sessions = found
    sessions: Sessions = found
    return sessions


def _sse(body: Mapping[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(body) + b"\n\n"


def _sent(item: Item) -> Mapping[str, Any]:
    if item.ended:
        return {"topic": item.topic, "ended": True, "error": item.error}
    return {"topic": item.topic, "result": item.result}


async def _events(session: Session) -> AsyncIterator[bytes]:
    yield _sse(described(session))
    while True:
        try:
            item = await asyncio.wait_for(session.queue.get(), session.limits.keepalive)
        except TimeoutError:
            yield b": keep-alive\n\n"
            continue
        if item is OVERFLOW:
            return
        if session.live(item):
            yield _sse(_sent(item))


class _SessionResponse(StreamingResponse):
    """The stream; the session is closed however the response ends (even before its first
    byte, when the client is already gone)."""

    def __init__(self, sessions: Sessions, session: Session) -> None:
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        super().__init__(_events(session), media_type=EVENT_STREAM, headers=headers)
        self._sessions, self._session = sessions, session

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._sessions.close(self._session)


@router.get("/api/v1/stream/multiplex")
def open_stream(request: Request, principal: Caller) -> Response:
    sessions = sessions_of(request)
    return _SessionResponse(sessions, sessions.open(principal.username))


def _text(topic: Mapping[str, Any], key: str) -> str:
    value = topic.get(key, "")
    if not isinstance(value, str):
        raise invalid(f"topic {topic.get('id')!r}: {key} must be a string")
    return value


def _producer(
    ctx: ApiContext, principal: Principal, topic: Mapping[str, Any]
) -> AsyncIterator[Any]:
    """The topic's results (checked: a refused topic raises before anything starts)."""
    if not isinstance(topic, Mapping):
        raise invalid("each topic to add must be an object")
    tid = topic.get("id")
    if not isinstance(tid, str) or not TOPIC_ID.match(tid):
        raise invalid("a topic needs an id of 1-100 letters, digits or ._:/-")
    try:
        kind = TopicType(str(topic.get("type")))
    except ValueError:
        raise invalid(f"topic {tid!r}: type must be applications or tree") from None
    unknown = sorted(set(topic) - FIELDS[kind])
    if unknown:
        raise invalid(f"topic {tid!r}: unknown field(s) {', '.join(unknown)}")
    name, app_namespace = _text(topic, "name"), _text(topic, "appNamespace")
    if kind is TopicType.TREE:
        if not name:
            raise invalid(f"topic {tid!r}: a tree topic needs the app's name")
        lookup_app(ctx, principal, "get", name, AppScope(_text(topic, "project"), app_namespace))
        return tree_events(ctx, name)
    projects, names = _names(topic, "projects"), _names(topic, "names")
    keep = app_filter(name, projects, _text(topic, "selector"), _text(topic, "repo"), names)
    initial = not _text(topic, "resourceVersion") or bool(name)
    events = app_events(ctx, principal, _in(keep, app_namespace), initial)
    return _applications(events, result_fields(_text(topic, "fields") or None))


def _names(topic: Mapping[str, Any], key: str) -> list[str]:
    """A list of names (or comma lists), as the stream's repeated query parameter."""
    value = topic.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid(f"topic {topic.get('id')!r}: {key} must be a list of names")
    return [n for v in value for n in v.split(",") if n]


def _in(keep: Any, app_namespace: str) -> Any:
    if not app_namespace:
        return keep
    return lambda app: (app.get("metadata") or {}).get("namespace") == app_namespace and keep(app)


async def _applications(
    events: AsyncIterator[tuple[str, Mapping[str, Any]]], fields: Tree | None
) -> AsyncIterator[Any]:
    try:
        async for kind, app in events:
            yield project({"type": kind, "application": app}, fields)
    finally:
        with contextlib.suppress(Exception):
            await events.aclose()  # type: ignore[attr-defined]


@router.post("/api/v1/stream/multiplex/{stream_id}/topics")
async def change_topics(stream_id: str, request: Request, ctx: Ctx, principal: Caller) -> Response:
    session = sessions_of(request).get(stream_id, principal.username)
    body = await json_object(request, BODY_LIMIT, known=("add", "remove"))
    removed, added = body.get("remove") or [], body.get("add") or []
    if not isinstance(removed, list) or not all(isinstance(r, str) for r in removed):
        raise invalid("remove must be a list of topic ids")
    if not isinstance(added, list):
        raise invalid("add must be a list of topics")
    ids = [str(t.get("id")) for t in added if isinstance(t, Mapping)]
    if len(set(ids)) != len(ids):
        raise invalid("a topic id appears twice in add")
    kept = set(session.topics) - set(removed)
    session.check_room(len(kept) + len(added))
    clash = sorted(set(ids) & kept)
    if clash:
        raise invalid(f"topic {clash[0]!r} is already open on this stream")
    producers = [(str(t["id"]), _producer(ctx, principal, t)) for t in added]
    for topic in removed:
        session.remove(topic)
    for tid, results in producers:
        session.add(tid, results)
    return JSON({"stream": session.id, "topics": sorted(session.topics)})


__all__ = ["FIELDS", "TopicType", "router", "sessions_of"]
