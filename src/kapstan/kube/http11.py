"""HTTP/1.1 to the API server: an ``httpx2`` transport parsed by httptools, on our sockets.

httpcore2's pool and h11 cost about as much CPU per request as the rest of the client
together (the events h11 makes of each header and body piece, the pool's per-request
bookkeeping); an idle controller's cost is mostly one small PATCH per poll and the watch event
it brings back, so that share is what this module removes. httptools is llhttp, the C parser
behind Node.js and uvicorn.

Contract of :class:`Http11Transport` (an ``httpx2.AsyncBaseTransport``):

- one request at a time per connection; a connection is reused only once its answer was read
  to the end and the server allows it (``should_keep_alive``), and only while nothing (data or
  the server's close) arrived on it as it sat idle, for at most ``keepalive_expiry`` seconds;
  at most ``max_connections`` are in use at once (more requests wait, within the ``pool``
  timeout) and ``max_idle`` kept idle;
- connections come from :class:`~kapstan.kube.network.AsyncioBackend` (its TLS, its
  cancellation-safe handshake, ``sni_hostname`` honoured as by httpcore2);
- the request's ``timeout`` extension applies as httpcore2 applies it: ``connect`` to the
  connection and handshake, ``write`` to each write, ``read`` to each wait for the answer
  (a watch waits ``read`` seconds for its next event);
- failures are httpx2's exceptions, as its own transport raises them: ``ConnectError``,
  ``ConnectTimeout``, ``ReadTimeout``, ``WriteTimeout``, ``PoolTimeout``, ``ReadError``,
  ``WriteError``, ``RemoteProtocolError`` (an answer httptools cannot parse, or a server that
  closed before answering in full); the body stream raises them too;
- the answer's body is streamed (``aclose`` before its end closes the connection) and its
  content encoding is left to httpx2.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import AsyncIterator
from typing import Any

import httpcore2
import httptools
import httpx2

from kapstan.kube.network import AsyncioBackend

READ_SIZE = 64 * 1024
_ERRORS: dict[type[Exception], type[httpx2.TransportError]] = {
    httpcore2.ConnectTimeout: httpx2.ConnectTimeout,
    httpcore2.ConnectError: httpx2.ConnectError,
    httpcore2.ReadTimeout: httpx2.ReadTimeout,
    httpcore2.WriteTimeout: httpx2.WriteTimeout,
    httpcore2.ReadError: httpx2.ReadError,
    httpcore2.WriteError: httpx2.WriteError,
}


def _mapped(err: Exception) -> httpx2.TransportError:
    for theirs, ours in _ERRORS.items():
        if isinstance(err, theirs):
            return ours(str(err))
    return httpx2.RemoteProtocolError(str(err))


class _Answer:
    """httptools' callbacks for one response: status, headers, body pieces, completion."""

    def __init__(self) -> None:
        self.headers: list[tuple[bytes, bytes]] = []
        self.framed = False  # a length or chunks say where the body ends, not the close
        self.head_done = False
        self.done = False
        self.keep_alive = False
        self.body: collections.deque[bytes] = collections.deque()
        self.parser: Any = None  # set once made; llhttp forgets keep-alive after the message

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))
        if name.lower() in (b"content-length", b"transfer-encoding"):
            self.framed = True

    def on_headers_complete(self) -> None:
        self.head_done = True

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.done = True
        self.keep_alive = self.parser.should_keep_alive()  # False for a body ended by a close


class _Connection:
    def __init__(self, key: tuple[str, str, int], stream: httpcore2.AsyncNetworkStream) -> None:
        self.key = key
        self.stream = stream
        self.idle_since = 0.0

    def reusable(self, now: float, expiry: float) -> bool:
        return now - self.idle_since < expiry and not self.stream.get_extra_info("is_readable")


class _Body(httpx2.AsyncByteStream):
    """The rest of an answer, read as it is iterated; hands the connection back at its end."""

    def __init__(
        self,
        transport: Http11Transport,
        conn: _Connection,
        parser: Any,
        answer: _Answer,
        read_timeout: float | None,
    ) -> None:
        self._transport = transport
        self._conn: _Connection | None = conn
        self._parser = parser
        self._answer = answer
        self._timeout = read_timeout

    async def __aiter__(self) -> AsyncIterator[bytes]:
        answer = self._answer
        while True:
            while answer.body:
                yield answer.body.popleft()
            if answer.done or self._conn is None:
                break
            await self._transport.receive(self._conn, self._parser, answer, self._timeout)
        await self.aclose()

    async def aclose(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._answer.done and self._answer.keep_alive:
            await self._transport.release(conn)
        else:
            await self._transport.discard(conn)


class Http11Transport(httpx2.AsyncBaseTransport):
    """See the module contract."""

    def __init__(
        self,
        ssl_context: Any,
        *,
        max_connections: int = 400,
        max_idle: int = 200,
        keepalive_expiry: float = 5.0,
    ) -> None:
        self._ssl = ssl_context
        self._backend = AsyncioBackend()
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: collections.deque[_Connection] = collections.deque()
        self._max_idle = max_idle
        self._expiry = keepalive_expiry
        self._open: set[_Connection] = set()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        url = request.url
        key = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        timeouts: dict[str, float | None] = request.extensions.get("timeout") or {}
        try:
            async with asyncio.timeout(timeouts.get("pool")):
                await self._slots.acquire()
        except TimeoutError:
            raise httpx2.PoolTimeout("no free connection in time") from None
        conn: _Connection | None = None
        try:
            conn = await self._reuse(key) or await self._connect(key, request, timeouts)
            parser, answer = await self._exchange(conn, request, timeouts)
        except BaseException as err:
            if conn is not None:
                await self.discard(conn)
            else:
                self._slots.release()
            if isinstance(err, httpcore2.NetworkError | httpcore2.TimeoutException):
                raise _mapped(err) from None
            if isinstance(err, httptools.HttpParserError):
                raise httpx2.RemoteProtocolError(f"a malformed answer: {err}") from None
            raise
        return httpx2.Response(
            parser.get_status_code(),
            headers=answer.headers,
            stream=_Body(self, conn, parser, answer, timeouts.get("read")),
            extensions={"http_version": b"HTTP/1.1"},
        )

    async def _reuse(self, key: tuple[str, str, int]) -> _Connection | None:
        now = time.monotonic()
        for conn in list(self._idle):
            if conn.key != key:
                continue
            self._idle.remove(conn)
            if conn.reusable(now, self._expiry):
                return conn
            self._open.discard(conn)
            await conn.stream.aclose()
        return None

    async def _connect(
        self, key: tuple[str, str, int], request: httpx2.Request, timeouts: dict[str, Any]
    ) -> _Connection:
        scheme, host, port = key
        timeout = timeouts.get("connect")
        stream = await self._backend.connect_tcp(host, port, timeout=timeout)
        if scheme == "https":
            sni = request.extensions.get("sni_hostname") or host
            stream = await stream.start_tls(self._ssl, server_hostname=sni, timeout=timeout)
        conn = _Connection(key, stream)
        self._open.add(conn)
        return conn

    async def _exchange(
        self, conn: _Connection, request: httpx2.Request, timeouts: dict[str, Any]
    ) -> tuple[Any, _Answer]:
        target = request.url.raw_path
        head = [request.method.encode(), b" ", target, b" HTTP/1.1\r\n"]
        for name, value in request.headers.raw:
            head += (name, b": ", value, b"\r\n")
        body = await request.aread()
        if body and "content-length" not in request.headers:
            head += (b"Content-Length: ", str(len(body)).encode(), b"\r\n")
        head.append(b"\r\n")
        await conn.stream.write(b"".join(head) + body, timeouts.get("write"))
        answer = _Answer()
        parser = answer.parser = httptools.HttpResponseParser(answer)
        if request.method == "HEAD":
            answer.done = True  # no body follows, whatever Content-Length says
        while not answer.head_done:
            await self.receive(conn, parser, answer, timeouts.get("read"))
        return parser, answer

    async def receive(
        self, conn: _Connection, parser: Any, answer: _Answer, timeout: float | None
    ) -> None:
        """Read once more from ``conn`` into ``parser``. The server's close ends a body that
        has neither length nor chunks; anywhere else it is an error."""
        try:
            data = await conn.stream.read(READ_SIZE, timeout)
            if not data:
                if answer.head_done and not answer.framed:
                    answer.done = True
                    return
                raise httpx2.RemoteProtocolError("the server closed the connection mid-answer")
            parser.feed_data(data)
        except httpx2.TransportError:
            raise
        except (httpcore2.NetworkError, httpcore2.TimeoutException) as err:
            raise _mapped(err) from None
        except httptools.HttpParserError as err:
            raise httpx2.RemoteProtocolError(f"a malformed answer: {err}") from None

    async def release(self, conn: _Connection) -> None:
        self._slots.release()
        if len(self._idle) >= self._max_idle:
            self._open.discard(conn)
            await conn.stream.aclose()
            return
        conn.idle_since = time.monotonic()
        self._idle.append(conn)

    async def discard(self, conn: _Connection) -> None:
        self._slots.release()
        self._open.discard(conn)
        await conn.stream.aclose()

    async def aclose(self) -> None:
        self._idle.clear()
        conns, self._open = self._open, set()
        for conn in conns:
            await conn.stream.aclose()


__all__ = ["Http11Transport"]
