"""A thin async Kubernetes API client on ``httpx2`` that speaks plain dicts (decoded by orjson).

Contract:

- every call is throttled by a client-side :class:`~kapstan.kube.ratelimit.TokenBucket`
  (``qps``/``burst`` when given, else :func:`~kapstan.kube.ratelimit.client_rate`: Argo CD's
  ``ARGOCD_K8S_CLIENT_QPS``/``ARGOCD_K8S_CLIENT_BURST`` or Kapstan's defaults);
- 429/502/503/504 answers (a 500 only with ``Retry-After``) and connection failures are
  retried with exponential backoff and jitter, honouring ``Retry-After``, for at most
  ``RetryPolicy.max_attempts`` attempts; a POST is only retried when the request cannot
  have reached the server (connect errors, 429, 503);
- a 401 with an exec plugin or token file refreshes the credential and retries once;
- non-2xx answers raise the :mod:`kapstan.kube.errors` class for the code;
- :meth:`KubeClient.watch` yields :class:`WatchEvent` tuples and raises :class:`Gone` on 410
  (HTTP or an ``ERROR`` event), so the caller re-lists. Close the iterator (``aclosing``) when
  stopping early. Always ``aclose()`` the client (or use ``async with``);
- cancelling a call never leaves a socket open, even mid-TLS-handshake (the connections
  are :mod:`kapstan.kube.network`'s: asyncio's socket transport, TLS in its protocol).
"""

from __future__ import annotations

import asyncio
import importlib.util
import ssl
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import urlencode

import httpcore2
import httpx2
import orjson

from kapstan.kube.config import ClusterConfig
from kapstan.kube.credentials import Credential, Credentials, ssl_context
from kapstan.kube.errors import KubeError, Timeout, from_status
from kapstan.kube.http11 import Http11Transport
from kapstan.kube.network import AsyncioBackend
from kapstan.kube.ratelimit import (
    RetryPolicy,
    TokenBucket,
    client_rate,
    parse_retry_after,
    should_retry,
)

JSON = "application/json"
_SAFE_RETRY_ON_POST = frozenset({429, 503})
_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "PATCH"})


class WatchEvent(NamedTuple):
    """One watch event: ``type`` is ADDED, MODIFIED, DELETED or BOOKMARK."""

    type: str
    object: dict[str, Any]


@dataclass(frozen=True)
class ListResult:
    """All items of a (paged) list; each item carries ``apiVersion`` and ``kind``."""

    items: list[dict[str, Any]] = field(repr=False)
    resource_version: str
    kind: str = ""


def _decode(resp: httpx2.Response) -> Any:
    if not resp.content:
        return {}
    try:
        return orjson.loads(resp.content)
    except orjson.JSONDecodeError:
        return {"message": resp.text[:500]}


URL_MEMO = 8192  # parsed request URLs a client keeps


class KubeClient:
    """An async client for one API server. Use as ``async with KubeClient(cfg) as kube``."""

    def __init__(
        self,
        config: ClusterConfig,
        *,
        qps: float | None = None,
        burst: int | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        http2: bool = False,
        transport: httpx2.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.config = config
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        default_qps, default_burst = client_rate()
        self.limiter = TokenBucket(
            default_qps if qps is None else qps, default_burst if burst is None else burst
        )
        self._http2 = http2 and importlib.util.find_spec("h2") is not None
        self._transport = transport
        self._sleep = sleep
        self._creds = Credentials(config)
        self._http: httpx2.AsyncClient | None = None
        self._closed = False
        self._http_cert: bytes | None = None
        self._default_timeouts: dict[str, float | None] | None = None
        self._urls: dict[str, httpx2.URL] = {}

    async def __aenter__(self) -> KubeClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool (idempotent); later requests raise :class:`KubeError`
        instead of quietly opening connections nobody will close."""
        self._closed = True
        await self._drop_pool()

    async def _drop_pool(self) -> None:
        if self._http is not None:
            http, self._http = self._http, None
            await http.aclose()

    async def _client(self, cred: Credential) -> httpx2.AsyncClient:
        if self._closed:
            raise KubeError(f"{self.config.server}: the client is closed")
        cert = cred.client_cert_data
        if self._http is not None and cert == self._http_cert:
            return self._http
        await self._drop_pool()  # an exec plugin rotated the client certificate
        if self._transport is not None:
            self._http = httpx2.AsyncClient(
                base_url=self.config.server, transport=self._transport, trust_env=False
            )
        else:
            self._http = httpx2.AsyncClient(
                base_url=self.config.server,
                transport=_transport(ssl_context(self.config, cred), http2=self._http2),
                trust_env=False,
                timeout=self.timeout,
            )
        self._http_cert = cert
        return self._http

    def _timeouts(self, timeout: float | httpx2.Timeout | None) -> dict[str, float | None]:
        if timeout is None:
            if self._default_timeouts is None:
                self._default_timeouts = httpx2.Timeout(self.timeout).as_dict()
            return self._default_timeouts
        return httpx2.Timeout(timeout).as_dict()

    def _url(self, url: str) -> httpx2.URL:
        """``url`` parsed, once: a controller sends the same few thousand URLs again and
        again (one per Application it writes), and httpx2's parse was about half of
        building a request. Bounded: query strings vary (continue tokens)."""
        parsed = self._urls.get(url)
        if parsed is None:
            if len(self._urls) >= URL_MEMO:
                self._urls.clear()
            parsed = self._urls[url] = httpx2.URL(url)
        return parsed

    def _headers(self, cred: Credential, accept: str, content_type: str | None) -> dict[str, str]:
        headers = {"Accept": accept, "Accept-Encoding": "gzip", "User-Agent": "kapstan"}
        if content_type:
            headers["Content-Type"] = content_type
        if cred.token:
            headers["Authorization"] = f"Bearer {cred.token}"
        elif self.config.username:
            auth = httpx2.BasicAuth(self.config.username, self.config.password)
            headers["Authorization"] = next(auth.auth_flow(httpx2.Request("GET", "/"))).headers[
                "Authorization"
            ]
        return headers

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        content_type: str | None = None,
        accept: str = JSON,
        stream: bool = False,
        timeout: float | httpx2.Timeout | None = None,
    ) -> httpx2.Response:
        """Send with throttling, auth and retries; return the (2xx) response or raise.

        With ``stream=True`` the caller must close the returned response. ``timeout`` is
        seconds for every phase, or an ``httpx2.Timeout`` (e.g. no read timeout for a log
        stream that may stay quiet), or ``None`` for the client's default.
        """
        method = method.upper()
        content = None
        if body is not None:
            content = body if isinstance(body, bytes) else orjson.dumps(body)
            content_type = content_type or JSON
        query = {k: _param(v) for k, v in (params or {}).items() if v is not None}
        # The URL is built here, once: httpx2's build_request parses it three times over.
        url = self.config.server.rstrip("/") + path
        if query:
            url += "?" + urlencode(query, doseq=True)
        extensions: dict[str, Any] = {"timeout": self._timeouts(timeout)}
        if self.config.tls_server_name:
            extensions["sni_hostname"] = self.config.tls_server_name
        auth_retried = False
        attempt = 0
        while True:
            attempt += 1
            await self.limiter.acquire()
            cred = await self._creds.current()
            http = await self._client(cred)
            request = httpx2.Request(
                method,
                self._url(url),
                content=content,
                headers=self._headers(cred, accept, content_type),
                extensions=extensions,
            )
            try:
                resp = await http.send(request, stream=stream)
            except httpx2.TransportError as e:
                connect = isinstance(e, httpx2.ConnectError | httpx2.ConnectTimeout)
                if attempt >= self.retry.max_attempts or not (connect or method in _IDEMPOTENT):
                    kind = type(e).__name__
                    raise Timeout(
                        f"{method} {path}: {kind} after {attempt} attempt(s)",
                        verb=method,
                        path=path,
                    ) from None
                await self._sleep(self.retry.delay(attempt))
                continue
            code = resp.status_code
            if code < 300:
                return resp
            if stream:
                await resp.aread()
                await resp.aclose()
            if code == 401 and not auth_retried and (self.config.exec or self.config.token_file):
                auth_retried = True
                self._creds.invalidate()
                continue
            after = parse_retry_after(resp.headers.get("Retry-After"))
            retryable = should_retry(code, after) and (
                method != "POST" or code in _SAFE_RETRY_ON_POST
            )
            if retryable and attempt < self.retry.max_attempts:
                await self._sleep(self.retry.delay(attempt, after))
                continue
            raise from_status(code, _decode(resp), verb=method, path=path)

    async def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        content_type: str | None = None,
    ) -> dict[str, Any]:
        """One API call; returns the decoded JSON body (``{}`` when empty)."""
        resp = await self.send(method, path, params=params, body=body, content_type=content_type)
        data = _decode(resp)
        return data if isinstance(data, dict) else {"items": data}

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """GET ``path`` as a dict."""
        return await self.request("GET", path, params)

    async def list(
        self, path: str, params: Mapping[str, Any] | None = None, *, limit: int = 500
    ) -> ListResult:
        """All items of a collection, fetched ``limit`` at a time via ``continue`` tokens.

        The result's ``resource_version`` is the list's (to start a watch from). An expired
        ``continue`` token raises :class:`Gone` (re-list from scratch).
        """
        items: list[dict[str, Any]] = []
        query = dict(params or {})
        query["limit"] = limit
        while True:
            page = await self.get(path, query)
            api_version = str(page.get("apiVersion") or "")
            kind = str(page.get("kind") or "").removesuffix("List")
            for item in page.get("items") or []:
                item.setdefault("apiVersion", api_version)
                item.setdefault("kind", kind)
                items.append(item)
            meta = page.get("metadata") or {}
            token = meta.get("continue")
            if not token:
                return ListResult(items, str(meta.get("resourceVersion") or ""), kind)
            query["continue"] = token

    async def watch(
        self,
        path: str,
        *,
        resource_version: str = "",
        timeout_seconds: int = 300,
        params: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[WatchEvent]:
        """Watch a collection from ``resource_version``; ends when the server closes the watch.

        Bookmarks are requested (``allowWatchBookmarks=true``) and yielded as BOOKMARK events.
        """
        query = dict(params or {})
        query.update(watch="true", allowWatchBookmarks="true", timeoutSeconds=timeout_seconds)
        if resource_version:
            query["resourceVersion"] = resource_version
        resp = await self.send(
            "GET", path, params=query, stream=True, timeout=timeout_seconds + 30.0
        )
        try:
            async for line in _lines(resp):
                event = orjson.loads(line)
                kind, obj = str(event.get("type") or ""), event.get("object") or {}
                if kind == "ERROR":
                    raise from_status(int(obj.get("code") or 500), obj, verb="WATCH", path=path)
                yield WatchEvent(kind, obj)
        except httpx2.TransportError as e:
            raise Timeout(f"WATCH {path}: {type(e).__name__}", verb="WATCH", path=path) from None
        finally:
            await resp.aclose()


def _transport(context: ssl.SSLContext, *, http2: bool) -> httpx2.AsyncBaseTransport:
    """HTTP/1.1 through :class:`~kapstan.kube.http11.Http11Transport`; HTTP/2 (opt-in) through
    httpcore2's pool on :class:`~kapstan.kube.network.AsyncioBackend`."""
    if not http2:
        return Http11Transport(context, max_connections=400, max_idle=200)
    limits = httpx2.Limits(max_connections=400, max_keepalive_connections=200)
    transport = httpx2.AsyncHTTPTransport(verify=context, http2=http2, limits=limits)
    # httpx2 takes no network backend argument, so its pool is replaced by an identical one
    # built through httpcore2's public constructor with ours.
    transport._pool = httpcore2.AsyncConnectionPool(
        ssl_context=context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        http2=http2,
        network_backend=AsyncioBackend(),
    )
    return transport


async def _lines(resp: httpx2.Response) -> AsyncIterator[bytes]:
    """The non-blank lines of a streamed body, as bytes: a watch event is one JSON line and
    orjson reads bytes, so the text decoding of ``aiter_lines`` is skipped."""
    held: list[bytes] = []
    stream = resp.stream
    # Unencoded (watch streams are), the transport's chunks are read as they come: httpx2's
    # decoding and re-chunking layers cost more than the JSON decode of a small event.
    chunks: AsyncIterable[bytes]
    if not resp.headers.get("Content-Encoding") and isinstance(stream, httpx2.AsyncByteStream):
        chunks = stream
    else:
        chunks = resp.aiter_bytes()
    async for chunk in chunks:
        if b"\n" not in chunk:
            held.append(chunk)
            continue
        data = chunk
        if held:
            held.append(chunk)
            data, held = b"".join(held), []
        *lines, rest = data.split(b"\n")
        if rest:
            held.append(rest)
        for line in lines:
            if line.strip():
                yield line
    if held and (line := b"".join(held)).strip():
        yield line


def _param(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


__all__ = ["JSON", "KubeClient", "KubeError", "ListResult", "WatchEvent"]
