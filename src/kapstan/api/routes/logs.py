"""Pod logs: ``GET /api/v1/applications/{name}/logs`` and
``GET /api/v1/applications/{name}/pods/{podName}/logs``, as Argo CD's ``PodLogs``.

Contract:

- RBAC: ``applications, get`` on the app, then ``logs, get, <project>/<app>`` (Argo CD 3
  always enforces the latter);
- the pods are those of the app's resource tree that match ``kind``/``group``/
  ``resourceName``/``namespace`` themselves or through any owner in the tree (a Deployment
  selects its ReplicaSets' Pods); ``.../pods/{podName}/logs`` means ``kind=Pod,
  resourceName=<podName>``. No pod: an empty stream, as Argo CD. More than argocd-cm
  ``server.maxPodLogsToRender`` (default 10): InvalidArgument ``max pods to view logs are
  reached. Please provide more granular query``;
- the answer streams ``{"result": applicationLogEntry}`` frames (newline-delimited JSON, or
  Server-Sent Events with ``Accept: text/event-stream``); entries are merged, filtered and
  bounded by :func:`kapstan.services.podlogs.pod_logs`; when the client goes away the
  upstream log requests are closed;
- query: ``container``, ``sinceSeconds``, ``sinceTime`` (RFC 3339, or grpc-gateway's
  ``sinceTime.seconds``/``sinceTime.nanos``), ``tailLines``, ``follow``, ``untilTime``
  (RFC 3339), ``filter`` (``!`` inverts), ``matchCase``, ``previous``, ``kind``, ``group``,
  ``resourceName``, ``namespace``, ``podName``, ``appNamespace``, ``project``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from starlette.requests import Request
from starlette.responses import Response

from kapstan.api.common import Caller, Ctx
from kapstan.api.context import ApiContext
from kapstan.api.errors import invalid
from kapstan.api.live import AppScope, ResourceRef, Scope, cluster_of, lookup_app
from kapstan.api.routes.streams import frame, stream_response, wants_sse
from kapstan.api.security import Principal, require
from kapstan.engine.rbac.vocabulary import RESOURCE_LOGS
from kapstan.services.podlogs import LogQuery, Stamp, pod_logs

router = APIRouter()
MAX_PODS_KEY = "server.maxPodLogsToRender"
DEFAULT_MAX_PODS = 10
TOO_MANY = "max pods to view logs are reached. Please provide more granular query"


def _matches(node: Mapping[str, Any], ref: ResourceRef) -> bool:
    return all(
        not wanted or str(node.get(key) or "") == wanted
        for key, wanted in (
            ("name", ref.name),
            ("kind", ref.kind),
            ("group", ref.group),
            ("namespace", ref.namespace),
        )
    )


def selected_pods(nodes: Sequence[Mapping[str, Any]], ref: ResourceRef) -> list[tuple[str, str]]:
    """``(namespace, name)`` of the tree's Pods that ``ref`` selects (see the contract)."""
    by_ref: dict[tuple[str, str, str, str], list[Mapping[str, Any]]] = {}
    for node in nodes:
        key = (
            str(node.get("group") or ""),
            str(node.get("kind") or ""),
            str(node.get("namespace") or ""),
            str(node.get("name") or ""),
        )
        by_ref.setdefault(key, []).append(node)
    memo: dict[str, bool] = {}

    def selected(node: Mapping[str, Any]) -> bool:
        uid = str(node.get("uid") or "")
        if uid in memo:
            return memo[uid]
        memo[uid] = False  # a cycle of owners selects nothing
        found = _matches(node, ref) or any(
            selected(parent)
            for p in node.get("parentRefs") or []
            for parent in by_ref.get(
                (
                    str(p.get("group") or ""),
                    str(p.get("kind") or ""),
                    str(p.get("namespace") or ""),
                    str(p.get("name") or ""),
                ),
                [],
            )
        )
        memo[uid] = found
        return found

    return [
        (str(n.get("namespace") or ""), str(n.get("name") or ""))
        for n in nodes
        if n.get("kind") == "Pod" and not n.get("group") and n.get("uid") and selected(n)
    ]


def _max_pods(ctx: ApiContext) -> int:
    raw = str(ctx.settings().cm.get(MAX_PODS_KEY) or "").strip()
    return int(raw) if raw.isdigit() else DEFAULT_MAX_PODS


def _time(value: str, what: str) -> Stamp | None:
    if not value:
        return None
    found = Stamp.parse(value)
    if found is None:
        raise invalid(f"invalid {what} parameter value: {value!r} is not an RFC 3339 time")
    return found


def _since(since_time: str, seconds: str, nanos: int) -> str:
    if since_time:
        _time(since_time, "sinceTime")
        return since_time
    if not seconds:
        return ""
    if not seconds.lstrip("-").isdigit():
        raise invalid("sinceTime.seconds must be an integer")
    moment = datetime.fromtimestamp(int(seconds), UTC)
    return Stamp(moment, max(0, min(nanos, 999_999_999))).rfc3339_nano()


async def _logs(
    ctx: ApiContext,
    principal: Principal,
    request: Request,
    name: str,
    ref: ResourceRef,
    query: LogQuery,
    scope: AppScope,
) -> Response:
    app = lookup_app(ctx, principal, "get", name, scope)
    require(ctx.authz, principal, RESOURCE_LOGS, "get", ctx.app_rbac_name(app))
    snapshot = await ctx.snapshots.get(ctx.namespace, name)
    pods = selected_pods(snapshot.tree.get("nodes") or [] if snapshot else [], ref)
    if len(pods) > _max_pods(ctx):
        raise invalid(TOO_MANY)
    sse = wants_sse(request)
    if not pods:
        return stream_response(_nothing(), sse)
    cluster = await cluster_of(ctx, app)

    async def frames() -> AsyncIterator[bytes]:
        entries = pod_logs(cluster.kube, pods, query)
        try:
            async for entry in entries:
                yield frame(entry.to_dict(), sse)
        finally:
            await entries.aclose()

    return stream_response(frames(), sse)


async def _nothing() -> AsyncIterator[bytes]:
    nothing: tuple[bytes, ...] = ()  # an async generator that sends nothing
    for chunk in nothing:
        yield chunk


def log_query(
    container: str = "",
    since_seconds: int = Query(default=0, alias="sinceSeconds"),
    since_time: str = Query(default="", alias="sinceTime"),
    since_seconds_at: str = Query(default="", alias="sinceTime.seconds"),
    since_nanos: int = Query(default=0, alias="sinceTime.nanos"),
    tail_lines: int = Query(default=0, alias="tailLines"),
    follow: bool = False,
    until_time: str = Query(default="", alias="untilTime"),
    filter_: str = Query(default="", alias="filter"),
    previous: bool = False,
    match_case: bool = Query(default=False, alias="matchCase"),
) -> LogQuery:
    """The log options of the query (a FastAPI dependency)."""
    return LogQuery(
        container=container,
        since_seconds=since_seconds,
        since_time=_since(since_time, since_seconds_at, since_nanos),
        tail_lines=tail_lines,
        follow=follow,
        previous=previous,
        until=_time(until_time, "untilTime"),
        filter=filter_,
        match_case=match_case,
    )


Options = Annotated[LogQuery, Depends(log_query)]


@router.get("/api/v1/applications/{name}/logs")
async def app_logs(
    name: str,
    request: Request,
    query: Options,
    ctx: Ctx,
    principal: Caller,
    scope: Scope,
    namespace: str = "",
    pod_name: str = Query(default="", alias="podName"),
    kind: str = "",
    group: str = "",
    resource_name: str = Query(default="", alias="resourceName"),
) -> Response:
    if pod_name:
        kind, resource_name = "Pod", pod_name
    ref = ResourceRef(namespace, resource_name, "", group, kind)
    return await _logs(ctx, principal, request, name, ref, query, scope)


@router.get("/api/v1/applications/{name}/pods/{pod_name}/logs")
async def pod_logs_route(
    name: str,
    pod_name: str,
    request: Request,
    query: Options,
    ctx: Ctx,
    principal: Caller,
    scope: Scope,
    namespace: str = "",
    group: str = "",
) -> Response:
    ref = ResourceRef(namespace, pod_name, "", group, "Pod")
    return await _logs(ctx, principal, request, name, ref, query, scope)


__all__ = ["router", "selected_pods"]
