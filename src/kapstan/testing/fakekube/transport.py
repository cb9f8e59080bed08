"""The ``httpx2`` transport that carries a client's requests to a fake, and back.

Contract:

- :class:`FakeTransport` turns each ``httpx2.Request`` into a
  :class:`~kapstan.testing.fakekube.router.Request` for ``serve`` and its
  :class:`~kapstan.testing.fakekube.router.Reply` into a response; watch replies stream.
  Every request first yields to the event loop (after ``latency`` seconds, default 0), as real
  I/O would, so a client looping on requests cannot starve the other tasks;
- :meth:`FakeTransport.aclose` (the client closing) ends the watches and followed logs it is
  still streaming;
- :class:`Faults` holds the injected failures: each matches a path pattern (``fnmatch``
  syntax, e.g. ``/api/v1/namespaces/*/configmaps``) and optionally a method, answers the next
  ``times`` matching requests with its code and a Status body, and is then used up.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

import httpx2
import orjson

from kapstan.testing.fakekube.logs import LogStream
from kapstan.testing.fakekube.router import Reply, Request
from kapstan.testing.fakekube.status import ApiError
from kapstan.testing.fakekube.watch import WatchStream


@dataclass(frozen=True)
class RequestRecord:
    """One request as the fake saw it, and the HTTP code it answered."""

    method: str
    path: str
    params: Mapping[str, str] = field(default_factory=dict)
    content_type: str = ""
    body: bytes = field(default=b"", repr=False)
    code: int = 0

    @property
    def watch(self) -> bool:
        return self.params.get("watch") in ("true", "1")


@dataclass
class Fault:
    """Answer the next ``remaining`` requests matching ``pattern`` (and ``method``) with
    ``code``; ``retry_after`` adds a ``Retry-After`` header (seconds)."""

    pattern: str
    code: int
    remaining: int = 1
    method: str | None = None
    message: str = ""
    retry_after: float | None = None

    def matches(self, method: str, path: str) -> bool:
        wanted = self.method is None or self.method.upper() == method
        return self.remaining > 0 and wanted and fnmatchcase(path, self.pattern)

    def reply(self) -> Reply:
        error = ApiError(self.code, self.message or f"injected failure ({self.code})")
        headers = {} if self.retry_after is None else {"Retry-After": f"{self.retry_after:g}"}
        return Reply(self.code, error.body(), headers=headers)


class Faults:
    """The injected failures, consumed in the order they were added."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def take(self, method: str, path: str) -> Reply | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault.reply()
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()


class FakeTransport(httpx2.AsyncBaseTransport):
    """Carries requests to ``serve`` (one transport per client; see the module contract)."""

    def __init__(self, serve: Callable[[Request], Reply], *, latency: float = 0.0) -> None:
        self._serve = serve
        self._latency = latency
        self._streams: set[WatchStream | LogStream] = set()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = await request.aread()
        await asyncio.sleep(self._latency)
        reply = self._serve(
            Request(
                method=request.method.upper(),
                path=request.url.path,
                params=dict(request.url.params.items()),
                body=body,
                content_type=request.headers.get("content-type", ""),
                accept=request.headers.get("accept", ""),
                user_agent=request.headers.get("user-agent", ""),
            )
        )
        headers = {"content-type": reply.content_type, **reply.headers}
        if reply.stream is not None:
            self._streams.add(reply.stream)
            reply.stream.on_close = self._streams.discard
            return httpx2.Response(reply.code, headers=headers, stream=reply.stream)
        content = reply.body if isinstance(reply.body, bytes) else orjson.dumps(reply.body)
        return httpx2.Response(reply.code, headers=headers, content=content)

    async def aclose(self) -> None:
        for stream in list(self._streams):
            stream.end()
        self._streams.clear()
