"""The controller's work queue of Application names.

Contract of :class:`AppQueue`:

- :meth:`add` queues an app with a :class:`Level`; an app already waiting is not queued
  twice, its level is raised to the highest requested (a hard refresh is never downgraded
  to a live-only one);
- :meth:`add` with ``delay`` schedules the add; there is one timer per app and level, which
  keeps the earliest time (a short wait for a live re-compare neither replaces nor is
  replaced by the next Git poll);
- :meth:`get` hands out an app that nobody is processing; an app added while it is being
  processed is handed out again only after :meth:`done` (so one app is never reconciled by
  two workers at once, and no change is lost);
- two lanes, each first in, first out: apps queued at ``LIVE`` (a sync's result, a rollout's
  health: cheap re-compares a user is waiting to see) go before apps queued to re-read Git,
  ``LIVE_BURST`` of them at most before one of the other lane, so neither waits forever. A
  thousand first refreshes after a start then do not hold back the results of the syncs
  they start. The lane is chosen when the app is queued; raising its level later keeps it;
- everything runs on one event loop; :meth:`add` may be called from synchronous callbacks
  (cache subscribers) but not from other threads.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections import deque
from typing import Final


class Level(enum.IntEnum):
    """How much a refresh recomputes (Argo CD's comparison levels)."""

    LIVE = 0  # live state changed: re-compare with the manifests generated last time
    POLL = 1  # the periodic Git poll: as NORMAL, with an older shared branch lookup allowed
    NORMAL = 2  # re-resolve the revision; render again if the commit or spec changed
    HARD = 3  # render again even when the render cache has the result


LIVE_BURST: Final = 4  # LIVE-lane apps handed out in a row while the other lane waits


class AppQueue:
    """Deduplicating queue of app names (see the module contract)."""

    def __init__(self) -> None:
        self._levels: dict[str, Level] = {}
        self._live: deque[str] = deque()
        self._git: deque[str] = deque()
        self._streak = 0  # LIVE-lane apps handed out since the last one of the other lane
        self._wake = asyncio.Event()
        self._busy: set[str] = set()
        self._deferred: dict[str, Level] = {}  # added while busy
        self._timers: dict[tuple[str, Level], tuple[float, asyncio.TimerHandle]] = {}

    def __len__(self) -> int:
        return len(self._levels) + len(self._deferred)

    def add(self, name: str, level: Level = Level.LIVE, delay: float = 0.0) -> None:
        """Queue ``name`` now or after ``delay`` seconds."""
        if delay > 0:
            self._schedule(name, level, delay)
            return
        if name in self._busy:
            self._deferred[name] = max(level, self._deferred.get(name, Level.LIVE))
            return
        if name in self._levels:
            self._levels[name] = max(level, self._levels[name])
            return
        self._levels[name] = level
        (self._live if level is Level.LIVE else self._git).append(name)
        self._wake.set()

    def _schedule(self, name: str, level: Level, delay: float) -> None:
        due = time.monotonic() + delay
        current = self._timers.get((name, level))
        if current is not None:
            if current[0] <= due:
                return
            current[1].cancel()
        handle = asyncio.get_running_loop().call_later(delay, self._fire, name, level)
        self._timers[(name, level)] = (due, handle)

    def _fire(self, name: str, level: Level) -> None:
        self._timers.pop((name, level), None)
        self.add(name, level)

    async def get(self) -> tuple[str, Level]:
        """The next app to process and its level; the caller must call :meth:`done`."""
        while True:
            while not self._live and not self._git:
                self._wake.clear()
                await self._wake.wait()
            if self._live and (self._streak < LIVE_BURST or not self._git):
                name = self._live.popleft()
                self._streak += 1
            else:
                name = self._git.popleft()
                self._streak = 0
            level = self._levels.pop(name, None)
            if level is None:
                continue  # forgotten meanwhile
            self._busy.add(name)
            return name, level

    def done(self, name: str) -> None:
        """``name`` was processed; queue it again if it was added meanwhile."""
        self._busy.discard(name)
        level = self._deferred.pop(name, None)
        if level is not None:
            self.add(name, level)

    def forget(self, name: str) -> None:
        """Drop every pending add and timer of ``name`` (the app was deleted)."""
        self._levels.pop(name, None)
        self._deferred.pop(name, None)
        for key in [k for k in self._timers if k[0] == name]:
            self._timers.pop(key)[1].cancel()

    def close(self) -> None:
        """Cancel every timer."""
        for _, handle in self._timers.values():
            handle.cancel()
        self._timers.clear()


__all__ = ["LIVE_BURST", "AppQueue", "Level"]
