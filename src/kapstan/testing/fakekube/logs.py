"""Container logs for the fake: ``GET /api/v1/namespaces/<ns>/pods/<name>/log``.

Nothing runs containers here, so logs are what tests write (:meth:`PodLogs.write`). Answered
as kube-apiserver answers (through the kubelet):

- the pod must exist (404); ``container`` may be left out only for a pod with one container
  (400 ``a container name must be specified for pod <p>, choose one of: [<names>]``) and must
  be one of its containers (400 ``container <c> is not valid for pod <p>``);
- ``previous`` reads the logs written with ``previous=True`` (400 ``previous terminated
  container "<c>" in pod "<p>" not found`` when there are none);
- ``timestamps=true`` prefixes each line with its RFC 3339 time (nanoseconds, as kubelet);
  ``tailLines``, ``sinceSeconds``, ``sinceTime`` and ``limitBytes`` trim as documented;
- the body is ``text/plain``, one line per entry; with ``follow=true`` it stays open and
  lines written later arrive as they are written, until :meth:`PodLogs.end` is called (the
  container stopped) or the client closes it (:attr:`PodLogs.open_streams`
  counts the open ones, so a test can check that a client closed its upstream).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2

from kapstan.testing.fakekube.status import ApiError, bad_request
from kapstan.testing.fakekube.watch import hand_over

Key = tuple[str, str, str, bool]  # namespace, pod, container, previous


@dataclass(frozen=True)
class Line:
    at: datetime
    text: str

    def render(self, timestamps: bool) -> bytes:
        if not timestamps:
            return self.text.encode() + b"\n"
        stamp = self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"
        return f"{stamp} {self.text}\n".encode()


class LogStream(httpx2.AsyncByteStream):
    """One followed log (the interface :class:`~kapstan.testing.fakekube.watch.WatchStream`
    offers the transport: :meth:`end`, ``on_close``)."""

    def __init__(self, owner: PodLogs, key: Key, first: bytes, render: Callable[[Line], bytes]):
        self._owner = owner
        self.key = key
        self._render = render
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._closed = False
        self.on_close: Callable[[Any], None] | None = None
        if first:
            self._queue.put_nowait(first)

    def offer(self, line: Line) -> None:
        self._deliver(self._render(line))

    def end(self) -> None:
        self._deliver(None)

    def _deliver(self, item: bytes | None) -> None:
        hand_over(self._loop, self._thread, self._queue, item)

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        if not self._closed:
            item = await self._queue.get()
            if item is not None:
                return item
        self._finish()
        raise StopAsyncIteration

    async def aclose(self) -> None:
        self._finish()

    def _finish(self) -> None:
        if not self._closed:
            self._closed = True
            self._owner.forget(self)
            if self.on_close is not None:
                self.on_close(self)


def _int(params: Mapping[str, str], key: str) -> int | None:
    raw = params.get(key)
    if raw is None or raw == "":
        return None
    if not raw.lstrip("-").isdigit():
        raise bad_request(f"{key}: Invalid value: {raw!r}")
    return int(raw)


class PodLogs:
    """The logs tests wrote, and the open ``follow`` streams (see the module contract)."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._lines: dict[Key, list[Line]] = {}
        self._streams: set[LogStream] = set()
        self._tick = 0

    def write(
        self,
        namespace: str,
        pod: str,
        container: str,
        lines: Iterable[str],
        *,
        previous: bool = False,
        at: datetime | None = None,
    ) -> None:
        """Append ``lines`` (each 1 µs after the last unless ``at`` is given)."""
        key = (namespace, pod, container, previous)
        with self._lock:
            for text in lines:
                self._tick += 1
                moment = at or (self._clock() + timedelta(microseconds=self._tick))
                line = Line(moment, text)
                self._lines.setdefault(key, []).append(line)
                for stream in list(self._streams):
                    if stream.key == key:
                        stream.offer(line)

    def forget(self, stream: LogStream) -> None:
        with self._lock:
            self._streams.discard(stream)

    def end(self, namespace: str | None = None, pod: str | None = None) -> None:
        """End the open follow streams (of one pod, or all)."""
        with self._lock:
            for stream in list(self._streams):
                if (namespace, pod) in ((None, None), stream.key[:2]):
                    stream.end()

    @property
    def open_streams(self) -> int:
        with self._lock:
            return len(self._streams)

    def answer(self, pod_obj: Mapping[str, Any], params: Mapping[str, str]) -> bytes | LogStream:
        """The body of one log request for ``pod_obj`` (raises the API server's errors)."""
        meta = pod_obj.get("metadata") or {}
        name, namespace = str(meta.get("name")), str(meta.get("namespace"))
        spec = pod_obj.get("spec") or {}
        names = [
            str(c.get("name"))
            for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
        ]
        container = params.get("container") or ""
        if not container:
            regular = [str(c.get("name")) for c in spec.get("containers") or []]
            if len(regular) != 1:
                choices = " ".join(regular)
                raise bad_request(
                    f"a container name must be specified for pod {name}, choose one of: [{choices}]"
                )
            container = regular[0]
        if container not in names:
            raise bad_request(f"container {container} is not valid for pod {name}")
        previous = params.get("previous") == "true"
        key = (namespace, name, container, previous)
        timestamps = params.get("timestamps") == "true"
        with self._lock:
            lines = list(self._lines.get(key, []))
            if previous and key not in self._lines:
                raise bad_request(
                    f'previous terminated container "{container}" in pod "{name}" not found'
                )
            lines = self._trim(lines, params)
            body = b"".join(line.render(timestamps) for line in lines)
            limit = _int(params, "limitBytes")
            if limit is not None and limit > 0:
                body = body[:limit]
            if params.get("follow") != "true":
                return body
            stream = LogStream(self, key, body, lambda line: line.render(timestamps))
            self._streams.add(stream)
            return stream

    def _trim(self, lines: list[Line], params: Mapping[str, str]) -> list[Line]:
        since_seconds = _int(params, "sinceSeconds")
        if since_seconds is not None:
            cutoff = self._clock() - timedelta(seconds=since_seconds)
            lines = [line for line in lines if line.at >= cutoff]
        since_time = params.get("sinceTime")
        if since_time:
            try:
                cutoff = datetime.fromisoformat(since_time.replace("Z", "+00:00"))
            except ValueError:
                raise bad_request(f"sinceTime: Invalid value: {since_time!r}") from None
            lines = [line for line in lines if line.at >= cutoff]
        tail = _int(params, "tailLines")
        if tail is not None and tail >= 0:
            lines = lines[len(lines) - tail :] if tail else []
        return lines


def pod_log_target(segs: list[str]) -> tuple[str, str] | None:
    """``(namespace, pod)`` when ``segs`` is ``api/v1/namespaces/<ns>/pods/<pod>/log``."""
    shape = len(segs) == 7 and segs[:3] == ["api", "v1", "namespaces"]
    if shape and segs[4] == "pods" and segs[6] == "log":
        return segs[3], segs[5]
    return None


__all__ = ["ApiError", "LogStream", "PodLogs", "pod_log_target"]
