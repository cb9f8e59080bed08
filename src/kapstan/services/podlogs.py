"""Pod logs of an Application, merged, as Argo CD's API streams them (``PodLogs``).

Contract of :func:`pod_logs` (an async iterator of :class:`LogEntry`):

- each pod's log is read from the kube API (``GET .../pods/<name>/log`` with
  ``timestamps=true``, streamed: ``send(stream=True)``), every line split into its RFC 3339
  timestamp and content (carriage returns split a line, as in Argo CD; a line without a
  timestamp keeps the previous one);
- a pod whose log cannot be opened contributes one entry whose content is the API's reason
  (Argo CD shows it in the UI, e.g. a container still waiting to start);
- entries of several pods are merged in timestamp order: the oldest head is sent once every
  open stream has one, or after :data:`BUFFERING` seconds without sending (a quiet pod does
  not hold the others back);
- ``filter`` keeps lines containing it (``!`` inverts; case-insensitive unless
  ``match_case``); past ``until`` the first entry is sent with ``last`` and the stream ends;
  when every pod's stream ends a final ``last`` entry with empty content is sent;
- bounds: a line is cut at :data:`MAX_LINE` bytes; without ``follow`` each pod sends at most
  :data:`LIMIT_BYTES` (``limitBytes``); each pod buffers at most :data:`BACKLOG` entries (a
  slow reader slows the upstream reads, never grows memory); with ``follow`` there is no read
  timeout (a quiet container is not an error) but the connection must open within
  :data:`CONNECT_TIMEOUT` seconds;
- closing the iterator (the client went away) cancels the readers and closes every upstream
  response.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx2

from kapstan.kube.client import KubeClient
from kapstan.kube.errors import KubeError

BUFFERING = 0.1
MAX_LINE = 1024 * 1024
LIMIT_BYTES = 10 * 1024 * 1024
BACKLOG = 1000
CONNECT_TIMEOUT = 10.0
EPOCH = datetime(1, 1, 1, tzinfo=UTC)
_STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$")


@dataclass(frozen=True, order=True)
class Stamp:
    """A point in time with nanoseconds (what kubelet timestamps carry)."""

    seconds: datetime
    nanos: int = 0

    @classmethod
    def parse(cls, text: str) -> Stamp | None:
        """An RFC 3339 timestamp (fractions up to nanoseconds), or ``None``."""
        found = _STAMP.match(text)
        if found is None:
            return None
        zone = "+00:00" if found.group(3) == "Z" else found.group(3)
        try:
            base = datetime.fromisoformat(found.group(1) + zone).astimezone(UTC)
        except ValueError:
            return None
        return cls(base, int((found.group(2) or "0").ljust(9, "0")))

    @classmethod
    def of(cls, moment: datetime) -> Stamp:
        utc = moment.astimezone(UTC)
        return cls(utc.replace(microsecond=0), utc.microsecond * 1000)

    def rfc3339(self) -> str:
        """Seconds precision (``metav1.Time`` in JSON)."""
        return self.seconds.strftime("%Y-%m-%dT%H:%M:%SZ")

    def rfc3339_nano(self) -> str:
        """Go's ``time.RFC3339Nano``: trailing zeros of the fraction dropped."""
        fraction = f"{self.nanos:09d}".rstrip("0")
        base = self.seconds.strftime("%Y-%m-%dT%H:%M:%S")
        return f"{base}.{fraction}Z" if fraction else f"{base}Z"


@dataclass(frozen=True)
class LogQuery:
    """Argo CD's ``ApplicationPodLogsQuery`` options for the kube API and the merge."""

    container: str = ""
    since_seconds: int = 0
    since_time: str = ""
    tail_lines: int = 0
    follow: bool = False
    previous: bool = False
    until: Stamp | None = None
    filter: str = ""
    match_case: bool = False

    def params(self) -> dict[str, str | int]:
        out: dict[str, str | int] = {"timestamps": "true"}
        if self.container:
            out["container"] = self.container
        if self.since_seconds > 0:
            out["sinceSeconds"] = self.since_seconds
        if self.since_time:
            out["sinceTime"] = self.since_time
        if self.tail_lines > 0:
            out["tailLines"] = self.tail_lines
        if self.follow:
            out["follow"] = "true"
        else:
            out["limitBytes"] = LIMIT_BYTES
        if self.previous:
            out["previous"] = "true"
        return out

    def keeps(self, line: str) -> bool:
        if not self.filter:
            return True
        literal, inverse = self.filter, False
        if literal.startswith("!"):
            literal, inverse = literal[1:], True
        found = literal in line if self.match_case else literal.lower() in line.lower()
        return found != inverse


@dataclass(frozen=True)
class LogEntry:
    """``applicationLogEntry``."""

    content: str
    stamp: Stamp
    pod_name: str
    last: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "content": self.content,
            "timeStamp": self.stamp.rfc3339(),
            "timeStampStr": self.stamp.rfc3339_nano(),
            "podName": self.pod_name,
            "last": self.last,
        }


def parse_line(raw: bytes, pod: str, previous: Stamp) -> list[LogEntry]:
    """The entries of one ``<timestamp> <content>`` line."""
    text = raw.decode(errors="replace").strip()
    head, _, rest = text.partition(" ")
    stamp = Stamp.parse(head)
    if stamp is None:
        stamp, rest = previous, text
    return [LogEntry(part, stamp, pod) for part in rest.split("\r")]


async def _lines(resp: httpx2.Response) -> AsyncIterator[bytes]:
    """Lines of a streamed body, each cut at :data:`MAX_LINE` bytes."""
    pending = b""
    skipping = False
    async for chunk in resp.aiter_bytes():
        pending += chunk
        while True:
            end = pending.find(b"\n")
            if end < 0:
                if len(pending) > MAX_LINE:
                    if not skipping:
                        yield pending[:MAX_LINE]
                    skipping, pending = True, b""
                break
            line, pending = pending[:end], pending[end + 1 :]
            if not skipping:
                yield line[:MAX_LINE]
            skipping = False
    if pending and not skipping:
        yield pending


def _reason(err: KubeError) -> str:
    message = err.status.get("message") if isinstance(err.status, dict) else None
    return str(message or err)


async def _read(
    kube: KubeClient, namespace: str, pod: str, query: LogQuery, out: asyncio.Queue[LogEntry]
) -> None:
    path = f"/api/v1/namespaces/{namespace}/pods/{pod}/log"
    timeout = httpx2.Timeout(CONNECT_TIMEOUT, read=None) if query.follow else None
    try:
        resp = await kube.send(
            "GET", path, params=query.params(), accept="*/*", stream=True, timeout=timeout
        )
    except KubeError as err:
        await out.put(LogEntry(_reason(err), Stamp(EPOCH), pod))
        return
    try:
        stamp = Stamp(EPOCH)
        async for raw in _lines(resp):
            for entry in parse_line(raw, pod, stamp):
                stamp = entry.stamp
                await out.put(entry)
    except httpx2.TransportError as err:
        await out.put(LogEntry(f"log stream of {pod} broke: {type(err).__name__}", stamp, pod))
    finally:
        await resp.aclose()


async def _merged(
    kube: KubeClient, pods: Sequence[tuple[str, str]], query: LogQuery
) -> AsyncGenerator[LogEntry, None]:
    queues: list[asyncio.Queue[LogEntry]] = [asyncio.Queue(BACKLOG) for _ in pods]
    tasks = [
        asyncio.create_task(_read(kube, ns, name, query, q))
        for (ns, name), q in zip(pods, queues, strict=True)
    ]
    heads: list[LogEntry | None] = [None] * len(pods)
    loop = asyncio.get_running_loop()
    sent_at = loop.time()
    try:
        while True:
            for i, q in enumerate(queues):
                if heads[i] is None and not q.empty():
                    heads[i] = q.get_nowait()
            waiting = [i for i in range(len(pods)) if heads[i] is None and not tasks[i].done()]
            ready = [i for i in range(len(pods)) if heads[i] is not None]
            if not ready and not waiting:
                return
            flush = loop.time() - sent_at >= BUFFERING
            if ready and (not waiting or flush):
                i = min(ready, key=lambda k: heads[k].stamp)  # type: ignore[union-attr]
                entry, heads[i] = heads[i], None
                assert entry is not None
                sent_at = loop.time()
                yield entry
                continue
            # Wait for a waiting pod's next entry (or its end); with heads ready, no longer
            # than the buffering time.
            getters = [asyncio.ensure_future(queues[i].get()) for i in waiting]
            await asyncio.wait(
                [*getters, *(tasks[i] for i in waiting)],
                timeout=BUFFERING if ready else None,
                return_when=asyncio.FIRST_COMPLETED,
            )
            for k, getter in zip(waiting, getters, strict=True):
                if getter.done() and not getter.cancelled():
                    heads[k] = getter.result()
                else:
                    getter.cancel()
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def pod_logs(
    kube: KubeClient,
    pods: Sequence[tuple[str, str]],
    query: LogQuery,
    *,
    now: datetime | None = None,
) -> AsyncGenerator[LogEntry, None]:
    """The merged, filtered entries of ``pods`` (``(namespace, name)``), see the module
    contract; ``now`` stamps the final entry (the current time when not given)."""
    stream = _merged(kube, pods, query)
    try:
        async for entry in stream:
            if not query.keeps(entry.content):
                continue
            if query.until is not None and entry.stamp > query.until:
                yield LogEntry(entry.content, entry.stamp, entry.pod_name, last=True)
                return
            yield entry
        yield LogEntry("", Stamp.of(now or datetime.now(UTC)), "", last=True)
    finally:
        await stream.aclose()


__all__ = ["LogEntry", "LogQuery", "Stamp", "parse_line", "pod_logs"]
