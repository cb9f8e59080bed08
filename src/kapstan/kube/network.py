"""The Kubernetes client's network: asyncio's sockets, lean TLS.

Used by :mod:`kapstan.kube.http11` (HTTP/1.1, the default) and by httpcore2's pool (HTTP/2).

httpcore2's default backend goes through anyio: every read and write opens a cancel scope
with its timeout and passes anyio's stream layers. For a controller whose idle cost is one
small PATCH per poll and the watch event it brings back, that layer held about a fifth of a
py-spy profile's samples. This backend is an ``asyncio.Protocol`` on the loop's socket
transport, with TLS as an ``ssl.SSLObject`` over memory BIOs inside it (asyncio's own TLS
transport would cost a 256 KiB buffer per connection, 25 MiB over a busy pool).

Contract of :class:`AsyncioBackend` (an ``httpcore2.AsyncNetworkBackend``):

- ``connect_tcp`` / ``connect_unix_socket`` open a connection within ``timeout`` seconds
  (``None``: no limit), raising ``httpcore2.ConnectTimeout`` or ``ConnectError``;
- a stream's ``read`` returns up to ``max_bytes`` as soon as any arrived, ``b""`` once the
  peer closed; ``write`` returns once the transport took the bytes (or its buffer drained
  below its high-water mark); each within ``timeout``, raising ``ReadTimeout`` /
  ``WriteTimeout``, and ``ReadError`` / ``WriteError`` on a broken connection;
- ``start_tls`` upgrades the stream in place within ``timeout``; when the handshake fails or
  the task is cancelled during it, the connection is closed before the error propagates
  (httpcore2 closes it on errors only, and the pool then drops a cancelled half-made
  connection without closing it: cancelling connecting requests is routine for us, e.g.
  ``ClusterCache.stop()`` right after an API server restart);
- ``get_extra_info`` answers what httpcore2 asks: ``ssl_object``, ``client_addr``,
  ``server_addr``, ``socket`` and ``is_readable`` (data or EOF arrived while the connection
  sat idle in the pool: it is not reused).
"""

from __future__ import annotations

import asyncio
import collections
import ssl
from collections.abc import Awaitable, Iterable
from typing import Any

import httpcore2

READ_LIMIT = 256 * 1024  # bytes buffered before the socket is no longer read
READ_CHUNK = 64 * 1024  # plaintext taken from TLS at a time


class _Protocol(asyncio.Protocol):
    """Buffers what arrives (decrypted, once TLS is on) and wakes the one reader; tracks
    write flow control."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.chunks: collections.deque[bytes] = collections.deque()  # as they arrived: no copies
        self.size = 0
        self.eof = False
        self.error: BaseException | None = None
        self.tls: ssl.SSLObject | None = None
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._handshaking = False
        self._readable: asyncio.Future[None] | None = None
        self._writable: asyncio.Future[None] | None = None
        self._paused_reading = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.tls is None:
            self._received(data)
        else:
            self._incoming.write(data)
            if not self._handshaking:
                self._decrypt()
        if self.size > READ_LIMIT and self.transport is not None:
            self._paused_reading = True
            self.transport.pause_reading()
        self._wake_reader()

    def _received(self, data: bytes) -> None:
        self.chunks.append(data)
        self.size += len(data)

    def _decrypt(self) -> None:
        assert self.tls is not None
        while True:
            try:
                data = self.tls.read(READ_CHUNK)
            except ssl.SSLWantReadError:
                break
            except ssl.SSLZeroReturnError:  # the peer's close_notify
                self.eof = True
                break
            except ssl.SSLError as err:
                self.eof, self.error = True, err
                break
            if not data:
                self.eof = True
                break
            self._received(data)
        self._send_outgoing()  # (TLS 1.3 may answer a key update)

    def _send_outgoing(self) -> None:
        pending = self._outgoing.read()
        if pending and self.transport is not None and not self.transport.is_closing():
            self.transport.write(pending)

    def send(self, data: bytes) -> None:
        assert self.transport is not None
        if self.tls is None:
            self.transport.write(data)
            return
        self.tls.write(data)
        self._send_outgoing()

    async def handshake(self, context: ssl.SSLContext, server_hostname: str | None) -> None:
        self.tls = context.wrap_bio(
            self._incoming, self._outgoing, server_side=False, server_hostname=server_hostname
        )
        self._handshaking = True
        try:
            while True:
                try:
                    self.tls.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    self._send_outgoing()
                if self.eof:
                    raise ConnectionError("the connection closed during the TLS handshake")
                await self._wait()
        finally:
            self._handshaking = False
        self._send_outgoing()
        self._decrypt()  # application data that came with the handshake's last flight

    def eof_received(self) -> bool:
        self.eof = True
        self._wake_reader()
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.error = exc
        self._wake_reader()
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)

    def pause_writing(self) -> None:
        self._writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)
        self._writable = None

    def _wake_reader(self) -> None:
        if self._readable is not None and not self._readable.done():
            self._readable.set_result(None)

    async def _wait(self) -> None:
        self._readable = asyncio.get_running_loop().create_future()
        try:
            await self._readable
        finally:
            self._readable = None

    async def read(self, max_bytes: int) -> bytes:
        while not self.chunks and not self.eof:
            await self._wait()
        if not self.chunks:
            if self.error is not None:
                raise httpcore2.ReadError(str(self.error))
            return b""
        data = self.chunks.popleft()
        if len(data) > max_bytes:
            data, rest = data[:max_bytes], data[max_bytes:]
            self.chunks.appendleft(rest)
        self.size -= len(data)
        if self._paused_reading and self.size <= READ_LIMIT // 2:
            self._paused_reading = False
            if self.transport is not None:
                self.transport.resume_reading()
        return data

    async def drained(self) -> None:
        if self._writable is not None:
            await self._writable


class _Stream(httpcore2.AsyncNetworkStream):
    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport = transport
        self._protocol = protocol

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            async with asyncio.timeout(timeout):
                return await self._protocol.read(max_bytes)
        except TimeoutError:
            raise httpcore2.ReadTimeout(f"no data within {timeout} s") from None

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        if self._transport.is_closing():
            raise httpcore2.WriteError("the connection is closed")
        try:
            async with asyncio.timeout(timeout):
                self._protocol.send(buffer)
                await self._protocol.drained()
        except TimeoutError:
            raise httpcore2.WriteTimeout(f"not sent within {timeout} s") from None
        except (OSError, RuntimeError, ssl.SSLError) as err:
            raise httpcore2.WriteError(str(err)) from None

    async def aclose(self) -> None:
        self._transport.abort()  # nothing is left to flush: a request is always answered first

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                await self._protocol.handshake(ssl_context, server_hostname)
        except BaseException as err:
            # Closing a transport is synchronous at its core: even if this task is cancelled
            # again, the socket is already being closed.
            self._transport.abort()
            if isinstance(err, TimeoutError):
                raise httpcore2.ConnectTimeout(f"TLS handshake not done in {timeout} s") from None
            if isinstance(err, ssl.SSLError | OSError):
                raise httpcore2.ConnectError(str(err)) from None
            raise
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "ssl_object":
            return self._protocol.tls
        if info == "client_addr":
            return self._transport.get_extra_info("sockname")
        if info == "server_addr":
            return self._transport.get_extra_info("peername")
        if info == "socket":
            return self._transport.get_extra_info("socket")
        if info == "is_readable":
            # The transport reads the socket as soon as it is readable: what arrived (data
            # or the peer's close) is in the protocol's buffer, not in the socket.
            protocol = self._protocol
            return bool(protocol.chunks) or protocol.eof or self._transport.is_closing()
        return None


async def _connect(
    where: str,
    opening: Awaitable[tuple[asyncio.BaseTransport, _Protocol]],
    timeout: float | None,
    options: Iterable[Any] | None,
) -> httpcore2.AsyncNetworkStream:
    try:
        async with asyncio.timeout(timeout):
            transport, protocol = await opening
    except TimeoutError:
        raise httpcore2.ConnectTimeout(f"{where}: no connection in {timeout} s") from None
    except OSError as err:
        raise httpcore2.ConnectError(f"{where}: {err}") from None
    assert isinstance(transport, asyncio.Transport)
    sock = transport.get_extra_info("socket")
    for option in options or ():
        sock.setsockopt(*option)
    return _Stream(transport, protocol)


class AsyncioBackend(httpcore2.AsyncNetworkBackend):
    """httpcore2's network on asyncio's transports (see the module contract)."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        local = (local_address, 0) if local_address else None
        opening = loop.create_connection(_Protocol, host, port, local_addr=local)
        return await _connect(f"{host}:{port}", opening, timeout, socket_options)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        opening = asyncio.get_running_loop().create_unix_connection(_Protocol, path)
        return await _connect(path, opening, timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


__all__ = ["AsyncioBackend"]
