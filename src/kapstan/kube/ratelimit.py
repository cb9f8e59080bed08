"""Client-side throttling and retry timing.

- :class:`TokenBucket`: at most ``burst`` requests at once, refilled at ``qps`` per second
  (client-go's default limiter shape). ``acquire`` waits until a token is available.
- :func:`client_rate`: the QPS and burst a client gets when its caller names none: Argo CD's
  ``ARGOCD_K8S_CLIENT_QPS`` / ``ARGOCD_K8S_CLIENT_BURST`` environment variables when set to
  positive numbers (an unusable value is logged and ignored), else :data:`DEFAULT_QPS` /
  :data:`DEFAULT_BURST`.
- :class:`RetryPolicy`: bounded attempts; exponential backoff with full jitter, capped; a
  server ``Retry-After`` (seconds) overrides the computed delay (still capped by ``max_delay``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

RETRY_STATUS = frozenset({429, 502, 503, 504})
QPS_ENV = "ARGOCD_K8S_CLIENT_QPS"
BURST_ENV = "ARGOCD_K8S_CLIENT_BURST"
# Argo CD's defaults are 50/100; an API server takes several hundred requests per second on
# two cores (bench/peers.py's floor), and the QPS limit was what bounded a cold deploy of
# many apps, so Kapstan asks for more by default.
DEFAULT_QPS = 200.0
DEFAULT_BURST = 400
log = logging.getLogger(__name__)


def _positive(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if value <= 0:
        log.warning("%s=%r is not a positive number: using %g", name, raw, default)
        return default
    return value


def client_rate() -> tuple[float, int]:
    """(qps, burst) for a client whose caller names none (see the module contract)."""
    return _positive(QPS_ENV, DEFAULT_QPS), int(_positive(BURST_ENV, DEFAULT_BURST))


def should_retry(code: int, retry_after: float | None) -> bool:
    """Throttling and gateway failures always; a 500 only when the server says when."""
    return code in RETRY_STATUS or (code == 500 and retry_after is not None)


class TokenBucket:
    """Async token bucket. ``qps <= 0`` disables throttling."""

    def __init__(
        self,
        qps: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.qps = qps
        self.burst = max(1, burst)
        self._tokens = float(self.burst)
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.qps)
        self._last = now

    async def acquire(self) -> float:
        """Take one token, waiting if needed; returns the seconds waited."""
        if self.qps <= 0:
            return 0.0
        waited = 0.0
        async with self._lock:
            self._refill()
            while self._tokens < 1:
                delay = (1 - self._tokens) / self.qps
                await self._sleep(delay)
                waited += delay
                self._refill()
            self._tokens -= 1
        return waited


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (integer seconds form only), else ``None``."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return max(0.0, seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry throttled/failed requests."""

    max_attempts: int = 5
    base_delay: float = 0.2
    max_delay: float = 10.0

    def delay(
        self,
        attempt: int,
        retry_after: float | None = None,
        rand: Callable[[], float] = random.random,
    ) -> float:
        """Delay before retry number ``attempt`` (1 = first retry)."""
        if retry_after is not None:
            return min(retry_after, self.max_delay)
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return float(
            ceiling / 2 + rand() * ceiling / 2
        )  # "equal jitter": never zero, never above cap
