"""Per-repository mutual exclusion: an asyncio lock (tasks of this process) plus an ``fcntl``
lock file (other processes sharing the cache directory).

Contract of :func:`repo_lock`: at most one holder per ``lock_path`` across tasks and processes;
waiting never blocks the event loop (the file lock is polled non-blockingly) and is cancellable.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import weakref
from collections.abc import AsyncIterator
from pathlib import Path

# asyncio.Lock binds to the loop it first waits on, so keep one table per running loop.
_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)
_POLL = 0.02


def _task_lock(key: str) -> asyncio.Lock:
    table = _LOCKS.setdefault(asyncio.get_running_loop(), {})
    return table.setdefault(key, asyncio.Lock())


@contextlib.asynccontextmanager
async def repo_lock(lock_path: Path) -> AsyncIterator[None]:
    """Hold the task lock and the file lock for ``lock_path`` for the body's duration."""
    async with _task_lock(str(lock_path)):
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    await asyncio.sleep(_POLL)  # another process holds it
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
