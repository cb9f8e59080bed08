"""From an HTTP request to a verb: URL parsing, query parameters, answers.

Contract of :meth:`Router.handle`: never raises for a request it can parse; every failure is
an answer with a ``Status`` body (see :mod:`~kapstan.testing.fakekube.status`). Paths are the
API server's: ``/api/v1[/namespaces/<ns>]/<plural>[/<name>[/status]]`` and the same under
``/apis/<group>/<version>``, plus discovery (``/api``, ``/apis``, ``/apis/<group>``,
``/api/v1``, ``/apis/<group>/<version>``), ``/version``, the health endpoints and pod logs
(:mod:`~kapstan.testing.fakekube.logs`). An unknown
path, kind or version is 404 ``the server could not find the requested resource``.

Verbs: GET (get, list, ``watch=true``), POST (create), PUT (update), PATCH (merge, JSON,
strategic, apply), DELETE (one object, with DeleteOptions ``propagationPolicy``,
``preconditions`` and ``dryRun``; or a collection, by selectors). The field manager of a
non-apply write defaults to the User-Agent up to its first ``/``, as on a real server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from kapstan.testing.fakekube import discovery, patching, reads, writes
from kapstan.testing.fakekube.cluster import Cluster, meta
from kapstan.testing.fakekube.kinds import Kind
from kapstan.testing.fakekube.logs import LogStream, PodLogs, pod_log_target
from kapstan.testing.fakekube.selectors import selector
from kapstan.testing.fakekube.status import ApiError, bad_request, conflict, no_route, success
from kapstan.testing.fakekube.validation import check_mode
from kapstan.testing.fakekube.watch import WatchStream

JSON = "application/json"
POLICIES = ("Background", "Foreground", "Orphan")
DEFAULT_WATCH_TIMEOUT = 1800.0  # kube-apiserver's --min-request-timeout


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    params: Mapping[str, str]
    body: bytes = b""
    content_type: str = ""
    accept: str = JSON
    user_agent: str = ""


@dataclass
class Reply:
    code: int
    body: Any = None
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)
    stream: WatchStream | LogStream | None = None


def _method_not_allowed() -> ApiError:
    return ApiError(405, "the server does not allow this method on the requested resource")


class Router:
    """Answers requests for one :class:`Cluster`."""

    def __init__(
        self,
        cluster: Cluster,
        *,
        aggregated: bool = True,
        bookmark_interval: float | None = None,
        logs: PodLogs | None = None,
    ) -> None:
        self.cluster = cluster
        self.aggregated = aggregated
        self.bookmark_interval = bookmark_interval
        self.logs = logs or PodLogs(cluster.clock)
        self.watch_lag: dict[str, float] = {}  # kind -> seconds its watch events trail writes

    def handle(self, req: Request) -> Reply:
        try:
            # One request is atomic with respect to writes from other threads (hooks).
            with self.cluster.store.lock:
                return self._route(req)
        except ApiError as e:
            return Reply(e.code, e.body(), headers=dict(e.headers))

    # -- paths ---------------------------------------------------------------------------------
    def _route(self, req: Request) -> Reply:
        segs = [s for s in req.path.split("/") if s]
        if req.path in ("/healthz", "/readyz", "/livez"):
            return Reply(200, b"ok", "text/plain")
        if req.path == "/version":
            return Reply(200, {"major": "1", "minor": "31", "gitVersion": "v1.31.0-fakekube"})
        if not segs or segs[0] not in ("api", "apis"):
            raise no_route()
        logs = pod_log_target(segs)
        if logs is not None:
            return self._pod_log(req, *logs)
        if segs[0] == "api":
            if len(segs) == 1:
                return self._discovery(req, core=True)
            group, version, rest = "", segs[1], segs[2:]
        else:
            if len(segs) <= 2:
                return self._discovery(req, core=False, group=segs[1] if len(segs) == 2 else "")
            group, version, rest = segs[1], segs[2], segs[3:]
        if not rest:
            if req.method != "GET":
                raise _method_not_allowed()
            found = discovery.resource_list(self.cluster.kinds, group, version)
            if found is None:
                raise no_route()
            return Reply(200, found)
        kind, namespace, name, sub = self._target(group, version, rest)
        return self._verb(req, kind, version, namespace, name, sub)

    def _pod_log(self, req: Request, namespace: str, name: str) -> Reply:
        if req.method != "GET":
            raise _method_not_allowed()
        pods = self.cluster.kinds.resolve("", "v1", "pods")
        assert pods is not None
        answer = self.logs.answer(self.cluster.require(pods, namespace, name), req.params)
        if isinstance(answer, bytes):
            return Reply(200, answer, "text/plain")
        return Reply(200, content_type="text/plain", stream=answer)

    def _discovery(self, req: Request, *, core: bool, group: str = "") -> Reply:
        if req.method != "GET":
            raise _method_not_allowed()
        kinds = self.cluster.kinds
        if group:
            found = discovery.api_group(kinds, group)
            if found is None:
                raise no_route()
            return Reply(200, found)
        if self.aggregated and discovery.wants_aggregated(req.accept):
            return Reply(200, discovery.aggregated(kinds, core=core), discovery.AGGREGATED)
        return Reply(200, discovery.api_versions() if core else discovery.group_list(kinds))

    def _target(self, group: str, version: str, rest: list[str]) -> tuple[Kind, str, str, str]:
        namespace = ""
        if rest[0] == "namespaces" and len(rest) >= 3:
            inner = self.cluster.kinds.resolve(group, version, rest[2])
            if inner is not None and inner.namespaced:
                namespace, rest = rest[1], rest[2:]
        if len(rest) > 3:
            raise no_route()
        kind = self.cluster.kinds.resolve(group, version, rest[0])
        if kind is None or (namespace and not kind.namespaced):
            raise no_route()
        name = rest[1] if len(rest) > 1 else ""
        sub = rest[2] if len(rest) > 2 else ""
        if sub and not (sub == "status" and kind.status_subresource):
            raise no_route()
        return kind, namespace, name, sub

    # -- verbs ---------------------------------------------------------------------------------
    def _verb(
        self, req: Request, kind: Kind, version: str, namespace: str, name: str, sub: str
    ) -> Reply:
        cluster, params, method = self.cluster, req.params, req.method
        if not name:
            if method == "GET" and params.get("watch") in ("true", "1"):
                return self._watch(kind, version, namespace, params)
            if method == "GET":
                return Reply(200, reads.list_objects(cluster, kind, version, namespace, params))
            if method == "POST" and (namespace or not kind.namespaced):
                opts = self._options(req, apply=False, sub="")
                written = writes.create(cluster, kind, version, namespace, self._json(req), opts)
                return self._written(kind, version, written)
            if method == "DELETE":
                return self._delete_collection(kind, namespace, req)
            raise _method_not_allowed()
        if method == "GET":
            return Reply(200, reads.get_object(cluster, kind, version, namespace, name))
        if method == "PUT":
            opts = self._options(req, apply=False, sub=sub)
            written = writes.update(cluster, kind, version, namespace, name, self._json(req), opts)
            return self._written(kind, version, written)
        if method == "PATCH":
            apply = req.content_type.startswith(patching.APPLY)
            opts = self._options(req, apply=apply, sub=sub)
            written = patching.patch(
                cluster, kind, version, namespace, name, req.content_type, req.body, opts
            )
            return self._written(kind, version, written)
        if method == "DELETE" and not sub:
            return self._delete(kind, version, namespace, name, req)
        raise _method_not_allowed()

    @staticmethod
    def _json(req: Request) -> Any:
        try:
            return orjson.loads(req.body or b"null")
        except orjson.JSONDecodeError:
            raise bad_request("the request body is not valid JSON") from None

    @staticmethod
    def _dry_run(values: Any) -> bool:
        listed = [values] if isinstance(values, str) else list(values or [])
        for v in listed:
            if v != "All":
                raise bad_request(f'dryRun: Unsupported value: "{v}": supported values: "All"')
        return bool(listed)

    def _options(self, req: Request, *, apply: bool, sub: str) -> writes.Options:
        params = req.params
        manager = params.get("fieldManager", "")
        if not manager and not apply:
            manager = req.user_agent.split("/", 1)[0][:128] or "unknown"
        if params.get("force") == "true" and not apply:
            raise bad_request("force is only allowed on apply requests")
        return writes.Options(
            manager=manager,
            dry_run=self._dry_run(params.get("dryRun")),
            validation=check_mode(params.get("fieldValidation", "")),
            force=params.get("force") == "true",
            subresource=sub,
        )

    def _written(self, kind: Kind, version: str, written: writes.Written) -> Reply:
        headers = {}
        if written.warnings:
            quoted = [w.replace("\\", "\\\\").replace('"', '\\"') for w in written.warnings]
            headers["Warning"] = ", ".join(f'299 - "{w}"' for w in quoted)
        body = self.cluster.render(kind, written.obj, version)
        return Reply(written.code, body, headers=headers)

    def _watch(self, kind: Kind, version: str, namespace: str, params: Mapping[str, str]) -> Reply:
        try:
            timeout = float(params.get("timeoutSeconds") or DEFAULT_WATCH_TIMEOUT)
        except ValueError:
            raise bad_request("timeoutSeconds: Invalid value") from None
        stream = WatchStream(
            self.cluster.store,
            kind,
            namespace=namespace,
            match=selector(params, kind),
            render=lambda obj: self.cluster.render(kind, obj, version),
            api_version=kind.api_version(version),
            bookmarks=params.get("allowWatchBookmarks") == "true",
            timeout=timeout,
            bookmark_interval=self.bookmark_interval,
            lag=self.watch_lag.get(kind.kind, 0.0),
        )
        stream.start(params.get("resourceVersion", ""))
        return Reply(200, stream=stream)

    def _delete_options(self, req: Request) -> tuple[dict[str, Any], str, bool]:
        body = self._json(req) if req.body else {}
        if not isinstance(body, dict):
            raise bad_request("DeleteOptions must be a JSON object")
        policy = body.get("propagationPolicy") or req.params.get("propagationPolicy") or ""
        if policy and policy not in POLICIES:
            raise ApiError(422, f'propagationPolicy: Unsupported value: "{policy}"')
        dry = self._dry_run(body.get("dryRun")) or self._dry_run(req.params.get("dryRun"))
        return body, policy or "Background", dry

    def _delete(self, kind: Kind, version: str, namespace: str, name: str, req: Request) -> Reply:
        options, policy, dry = self._delete_options(req)
        cluster = self.cluster
        with cluster.store.lock:
            obj = cluster.require(kind, namespace, name)
            m = meta(obj)
            pre = options.get("preconditions") or {}
            for f, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
                if pre.get(f) and pre[f] != m.get(f):
                    why = f"Precondition failed: {label} in precondition: {pre[f]}, {label} in object meta: {m.get(f)}"  # noqa: E501
                    raise conflict(kind, name, why)
            if dry:
                return Reply(200, cluster.render(kind, obj, version))
            after = cluster.begin_delete(kind, obj, policy)
            if cluster.live(kind, namespace, name) is None:
                return Reply(200, success(kind, name, str(m.get("uid") or "")))
            return Reply(200, cluster.render(kind, after, version))

    def _delete_collection(self, kind: Kind, namespace: str, req: Request) -> Reply:
        _options, policy, dry = self._delete_options(req)
        match = selector(req.params, kind)
        with self.cluster.store.lock:
            for obj in self.cluster.store.items(kind.group, kind.plural, namespace):
                if match(obj) and not dry:
                    self.cluster.begin_delete(kind, obj, policy)  # re-reads: cascades run
        return Reply(
            200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
        )
