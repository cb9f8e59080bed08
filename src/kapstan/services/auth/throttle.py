"""Login throttling as Argo CD does it (``util/session/sessionmanager.go``, ``server/server.go``).

Contract of :class:`LoginThrottle` (one per API server process; thread-safe):

- failures are counted per username with the time of the last one. A login is refused before
  its password is looked at when the username has ``max_failures`` (5) or more failures and
  the last one is at most ``window`` (300 s) old; ``window`` 0 means failures never age out.
  So the 6th attempt within the window is refused even with the right password, refused
  attempts do not count (the window runs from the last real failure), and once the window has
  passed the next attempt is checked normally;
- recording a failure first forgets entries older than ``window``; when ``cache_size`` (1000)
  entries are held, one random entry is evicted, never ``admin``'s nor the current user's (an
  attacker spraying names must not reset admin's count). A success forgets the username;
- the defaults come from Argo CD's variables (:meth:`ThrottleSettings.from_env`): a value that
  is not an integer in range keeps the default, as Argo CD's ``ParseNumFromEnv`` does.

:class:`LoginSlots` caps logins in progress (50, ``ARGOCD_MAX_CONCURRENT_LOGIN_REQUESTS_COUNT``
divided by ``ARGOCD_API_SERVER_REPLICAS``; 0 means no cap). A login over the cap is refused at
once, never queued.

With :class:`SharedFailures` (the split mode's Redis), the counts are shared between API
replicas: a login first adopts the shared count, a failure is added to it, a success clears
it, so the 6th attempt is refused whichever replica gets it.

The cache size default is 1000 as Argo CD documents it (its code says 10000).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from kapstan.services.auth import keys as k
from kapstan.services.auth.errors import TooManyAttempts

log = logging.getLogger(__name__)
Clock = Callable[[], float]
_INT_MAX = 2**31 - 1


def _env_int(env: Mapping[str, str], name: str, default: int, low: int) -> int:
    raw = env.get(name, "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        log.warning("%s is not an integer; using %d", name, default)
        return default
    if not low <= value <= _INT_MAX:
        log.warning("%s must be at least %d; using %d", name, low, default)
        return default
    return value


@dataclass(frozen=True)
class ThrottleSettings:
    """Throttling limits (see the module contract)."""

    max_failures: int = 5
    window: float = 300.0
    cache_size: int = 1000
    max_concurrent: int = 50

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ThrottleSettings:
        concurrent = _env_int(env, k.ENV_MAX_CONCURRENT_LOGINS, 50, 0)
        replicas = _env_int(env, k.ENV_API_SERVER_REPLICAS, 1, 0)
        if replicas > 0:  # Argo CD shares the cap between replicas (integer division)
            concurrent //= replicas
        return cls(
            max_failures=_env_int(env, k.ENV_MAX_FAIL_COUNT, 5, 1),
            window=float(_env_int(env, k.ENV_FAILURE_WINDOW, 300, 0)),
            cache_size=_env_int(env, k.ENV_MAX_CACHE_SIZE, 1000, 1),
            max_concurrent=concurrent,
        )


@dataclass
class _Failures:
    count: int
    last: float


class LoginThrottle:
    """Failed logins per username (see the module contract)."""

    def __init__(
        self,
        settings: ThrottleSettings | None = None,
        *,
        clock: Clock = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings or ThrottleSettings()
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 - eviction choice, not a secret
        self._lock = threading.Lock()
        self._failures: dict[str, _Failures] = {}

    def __len__(self) -> int:
        return len(self._failures)

    def failure_count(self, username: str) -> int:
        with self._lock:
            entry = self._failures.get(username)
            return entry.count if entry else 0

    def refused(self, username: str) -> bool:
        """Whether a login for ``username`` must be refused without checking the password."""
        with self._lock:
            entry = self._failures.get(username)
            if entry is None or entry.count < self.settings.max_failures:
                return False
            window = self.settings.window
            return window == 0 or self._clock() - entry.last <= window

    def failed(self, username: str) -> None:
        with self._lock:
            now = self._clock()
            window = self.settings.window
            if window > 0:
                for name in [n for n, e in self._failures.items() if now - e.last > window]:
                    del self._failures[name]
            if len(self._failures) >= self.settings.cache_size:
                self._evict(username)
            entry = self._failures.setdefault(username, _Failures(0, now))
            entry.count += 1
            entry.last = now
            count = entry.count
        log.warning("user %s failed login %d time(s)", username, count)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(username, None)

    def adopt(self, username: str, count: int, last: float) -> None:
        """Take in what other replicas counted (:class:`SharedFailures`): the larger count
        and the later failure win, so sharing never lowers a count."""
        with self._lock:
            entry = self._failures.get(username)
            if entry is None:
                if len(self._failures) >= self.settings.cache_size:
                    self._evict(username)
                self._failures[username] = _Failures(count, last)
                return
            entry.count = max(entry.count, count)
            entry.last = max(entry.last, last)

    def _evict(self, username: str) -> None:
        candidates = [n for n in self._failures if n not in (k.ADMIN, username)]
        if candidates:
            del self._failures[self._rng.choice(candidates)]


class SharedFailures(Protocol):
    """Failed-login counts shared between API replicas (Argo CD keeps them in Redis). Every
    method may fail only by returning nothing: an outage leaves each replica its own count."""

    async def fetch(self, username: str) -> tuple[int, float] | None:
        """The shared (count, time of the last failure) of ``username``."""
        ...

    async def record(self, username: str, now: float, window: float) -> tuple[int, float] | None:
        """Add one failure at ``now`` (kept ``window`` seconds, 0: for good); the new state."""
        ...

    async def clear(self, username: str) -> None:
        """Forget ``username``'s failures (a successful login)."""
        ...


class LoginSlots:
    """At most ``limit`` logins in progress at once (0: no limit)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_progress = 0
        self._lock = threading.Lock()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a slot for the duration of one login; raise :class:`TooManyAttempts` if full."""
        with self._lock:
            if self.limit and self.in_progress >= self.limit:
                log.warning("exceeded the number of concurrent login requests (%d)", self.limit)
                raise TooManyAttempts("concurrency")
            self.in_progress += 1
        try:
            yield
        finally:
            with self._lock:
                self.in_progress -= 1


__all__ = ["LoginSlots", "LoginThrottle", "ThrottleSettings"]
