"""The sessions of the multiplexed stream (``/api/v1/stream/multiplex``): one SSE connection
carrying several watches ("topics"), each a task feeding the connection's queue.

Contract: :meth:`Sessions.open` makes a session bound to its user (refused with
ResourceExhausted past :attr:`StreamLimits.streams_per_user` open sessions of that user);
:meth:`Sessions.get` returns a session only to the user that opened it (PermissionDenied for
another user, NotFound for an unknown or closed id); :meth:`Session.add` starts a topic from an
async iterator of results (InvalidArgument for a used id, ResourceExhausted past
:attr:`StreamLimits.topics_per_stream`), :meth:`Session.remove` stops one (a result already
queued for it is dropped, never sent); :meth:`Session.close` stops every topic and forgets the
session. A topic whose producer ends (its watch fell :data:`~kapstan.api.routes.streams.BACKLOG`
behind) or fails puts an ``ended`` item so the client can add it again; a connection whose
queue passes :attr:`StreamLimits.backlog` unread items is closed (the client reconnects).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from kapstan.api.errors import ApiError, Code, invalid


@dataclass(frozen=True)
class StreamLimits:
    topics_per_stream: int = 32
    streams_per_user: int = 8
    backlog: int = 2000
    keepalive: float = 15.0  # seconds between ": keep-alive" comments on a quiet stream


@dataclass(frozen=True)
class Item:
    """One thing to send: a topic's result, or that the topic ended (``error`` says why)."""

    topic: str
    result: Any = None
    ended: bool = False
    error: str = ""


OVERFLOW = Item("", ended=True, error="overflow")  # the marker that closes the connection


@dataclass
class Session:
    id: str
    user: str
    limits: StreamLimits
    queue: asyncio.Queue[Item] = field(default_factory=asyncio.Queue)
    topics: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    overflowed: bool = False

    def put(self, item: Item) -> None:
        if self.overflowed:
            return
        if self.queue.qsize() >= self.limits.backlog:
            self.overflowed = True
            self.queue.put_nowait(OVERFLOW)
            return
        self.queue.put_nowait(item)

    def check_room(self, count: int) -> None:
        """ResourceExhausted when ``count`` topics would be more than the limit."""
        if count > self.limits.topics_per_stream:
            raise ApiError(
                Code.RESOURCE_EXHAUSTED,
                f"too many topics on one stream (at most {self.limits.topics_per_stream})",
            )

    def add(self, topic: str, results: AsyncIterator[Any]) -> None:
        if topic in self.topics:
            raise invalid(f"topic {topic!r} is already open on this stream")
        self.check_room(len(self.topics) + 1)
        self.topics[topic] = asyncio.create_task(self._feed(topic, results))

    async def _feed(self, topic: str, results: AsyncIterator[Any]) -> None:
        error = ""
        try:
            async for result in results:
                self.put(Item(topic, result))
        except asyncio.CancelledError:
            raise
        except Exception as err:  # the client hears of it (an ended item); the stream lives on
            error = str(err) or type(err).__name__
        finally:
            with contextlib.suppress(Exception):
                await results.aclose()  # type: ignore[attr-defined]
        if self.topics.get(topic) is asyncio.current_task():
            del self.topics[topic]
            self.put(Item(topic, ended=True, error=error or "the watch ended; add it again"))

    def remove(self, topic: str) -> bool:
        task = self.topics.pop(topic, None)
        if task is None:
            return False
        task.cancel()
        return True

    def live(self, item: Item) -> bool:
        """Whether ``item`` may still be sent (its topic was not removed since)."""
        return item.ended or item.topic in self.topics

    def close(self) -> None:
        for task in self.topics.values():
            task.cancel()
        self.topics.clear()


class Sessions:
    """The open multiplexed streams of one API server, by id."""

    def __init__(self, limits: StreamLimits | None = None) -> None:
        self.limits = limits or StreamLimits()
        self._open: dict[str, Session] = {}

    def open(self, user: str) -> Session:
        if sum(1 for s in self._open.values() if s.user == user) >= self.limits.streams_per_user:
            raise ApiError(
                Code.RESOURCE_EXHAUSTED,
                f"too many open streams for {user} (at most {self.limits.streams_per_user})",
            )
        session = Session(secrets.token_urlsafe(18), user, self.limits)
        self._open[session.id] = session
        return session

    def get(self, session_id: str, user: str) -> Session:
        found = self._open.get(session_id)
        if found is None:
            raise ApiError(Code.NOT_FOUND, f"stream {session_id!r} not found (closed?)")
        if found.user != user:
            raise ApiError(Code.PERMISSION_DENIED, "permission denied: another user's stream")
        return found

    def close(self, session: Session) -> None:
        session.close()
        self._open.pop(session.id, None)

    def of_user(self, user: str) -> list[Session]:
        return [s for s in self._open.values() if s.user == user]


def described(session: Session) -> Mapping[str, Any]:
    """What the stream announces first: its id and limits."""
    limits = session.limits
    return {"stream": session.id, "limits": {"topics": limits.topics_per_stream,
                                             "streams": limits.streams_per_user}}  # fmt: skip


__all__ = ["OVERFLOW", "Item", "Session", "Sessions", "StreamLimits", "described"]
