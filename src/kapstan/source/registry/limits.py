"""A per-registry request rate limit: requests are spaced ``1/rate`` seconds apart (as the
``limit`` of argocd-image-updater's registries.conf, default 20 per second); ``rate <= 0``
means no limit."""

from __future__ import annotations

import asyncio

DEFAULT_RATE = 20.0


class RateLimiter:
    """Spaces calls to :meth:`acquire` at most ``rate`` per second (shared by every task)."""

    def __init__(self, rate: float = DEFAULT_RATE) -> None:
        self.rate = rate
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        if self.rate <= 0:
            return
        async with self._lock:
            loop = asyncio.get_running_loop()
            now = loop.time()
            start = max(self._next, now)
            self._next = start + 1.0 / self.rate
        if start > now:
            await asyncio.sleep(start - now)
