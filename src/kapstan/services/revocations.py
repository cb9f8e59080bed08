"""Revoked tokens (logout), as Argo CD keeps them: by token id until the token would expire.

Contract:

- :class:`Revocations` holds revoked ids in this process: :meth:`~Revocations.is_revoked` is
  synchronous (the auth service asks it on every verification) and forgets an id once its
  token has expired (a token without expiry stays revoked);
- :class:`RedisRevocations` also shares them between API replicas through Redis (the split
  mode's Redis, as Argo CD's ``RevokeToken``): :meth:`~Revocations.revoke` writes the id into
  a sorted set (one per control-plane namespace) scored by expiry, and
  :meth:`~RedisRevocations.run` copies the set into every replica every ``interval`` seconds,
  so a logout on one replica holds on all of them within that time. A Redis outage keeps
  what was known and is logged once; a revoke during one is still kept locally.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import RedisError

from kapstan.services.redissnapshots import parse_address

log = logging.getLogger(__name__)
KEY = "kapstan|revoked-tokens"
NEVER = math.inf  # the expiry of a token without one
SYNC_INTERVAL = 2.0


class Revocations:
    """Revoked token ids of this process (see the module contract)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def is_revoked(self, token_id: str) -> bool:
        with self._lock:
            until = self._until.get(token_id)
            if until is None:
                return False
            if until <= self._clock():
                del self._until[token_id]
                return False
            return True

    def remember(self, token_id: str, expires_at: float | None) -> None:
        with self._lock:
            self._until[token_id] = NEVER if expires_at is None else float(expires_at)

    async def revoke(self, token_id: str, expires_at: float | None) -> None:
        """Refuse ``token_id`` from now on (until ``expires_at``, epoch seconds)."""
        self.remember(token_id, expires_at)


class RedisRevocations(Revocations):
    """Revocations shared through Redis (see the module contract)."""

    def __init__(
        self,
        address: str,
        password: str | None = None,
        *,
        interval: float = SYNC_INTERVAL,
        clock: Callable[[], float] = time.time,
        namespace: str = "",
    ) -> None:
        super().__init__(clock)
        self.key = f"{KEY}|{namespace}"  # installs sharing a Redis keep their own
        host, port = parse_address(address)
        self.address = f"{host}:{port}"
        self.interval = interval
        self._redis = aioredis.Redis(
            host=host,
            port=port,
            password=password or None,
            socket_timeout=5.0,
            # One quick retry: a login waits on this; an outage falls back, never stalls.
            retry=Retry(ExponentialBackoff(cap=0.2, base=0.05), retries=1),
            socket_connect_timeout=5.0,
        )
        self._failing = False

    async def revoke(self, token_id: str, expires_at: float | None) -> None:
        self.remember(token_id, expires_at)
        score = "+inf" if expires_at is None else float(expires_at)
        try:
            await self._redis.zadd(self.key, {token_id: score})
        except RedisError as err:
            self._report(err)

    async def sync(self) -> None:
        """Copy the shared set in (and drop what has expired there)."""
        now = self._clock()
        try:
            await self._redis.zremrangebyscore(self.key, "-inf", now)
            found: list[Any] = await self._redis.zrangebyscore(
                self.key, now, "+inf", withscores=True
            )
        except RedisError as err:
            self._report(err)
            return
        if self._failing:
            log.info("redis %s answers again: revoked tokens are shared", self.address)
            self._failing = False
        for member, score in (tuple(pair) for pair in found):
            token_id = member.decode() if isinstance(member, bytes) else str(member)
            until = float(score)
            self.remember(token_id, None if math.isinf(until) else until)

    async def run(self, stop: asyncio.Event) -> None:
        """:meth:`sync` every ``interval`` seconds until ``stop`` is set."""
        while not stop.is_set():
            await self.sync()
            try:
                await asyncio.wait_for(stop.wait(), self.interval)
            except TimeoutError:
                continue

    async def close(self) -> None:
        await self._redis.aclose()

    def _report(self, err: RedisError) -> None:
        if not self._failing:
            log.warning(
                "redis %s: %s; revoked tokens are kept in this replica only until it answers",
                self.address,
                type(err).__name__,
            )
            self._failing = True


__all__ = ["KEY", "RedisRevocations", "Revocations"]
