"""Failed-login counts shared between API replicas through Redis, as Argo CD keeps them, so
the login throttle (:mod:`kapstan.services.auth.throttle`) holds across replicas.

Contract (:class:`RedisLoginFailures`, a :class:`~kapstan.services.auth.throttle.SharedFailures`):
one hash per username and control-plane namespace (installs sharing a Redis do not share
counts) (``count``, ``last``) that expires ``window`` seconds after the last
failure (0: kept); a failure is one atomic increment; a Redis error is logged once per outage
(address and error type, never the password) and answered with nothing, so each replica falls
back to its own count rather than refusing or admitting everyone. Usernames are stored as
given (they are what the throttle counts by), hashed into the key so none can reach another
key.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import RedisError

from kapstan.services.redissnapshots import parse_address

log = logging.getLogger(__name__)
PREFIX = "kapstan|login-failures"


class RedisLoginFailures:
    """Shared login failures (see the module contract)."""

    def __init__(self, address: str, password: str | None = None, namespace: str = "") -> None:
        host, port = parse_address(address)
        self.namespace = namespace
        self.address = f"{host}:{port}"
        self._redis = aioredis.Redis(
            host=host,
            port=port,
            password=password or None,
            socket_timeout=2.0,
            # One quick retry: a login waits on this; an outage falls back, never stalls.
            retry=Retry(ExponentialBackoff(cap=0.2, base=0.05), retries=1),
            socket_connect_timeout=2.0,
        )
        self._failing = False

    def key(self, username: str) -> str:
        return f"{PREFIX}|{self.namespace}|{hashlib.sha256(username.encode()).hexdigest()}"

    async def fetch(self, username: str) -> tuple[int, float] | None:
        try:
            found: list[Any] = await self._redis.hmget(self.key(username), ["count", "last"])
        except RedisError as err:
            self._failed(err)
            return None
        self._recovered()
        count, last = found
        if count is None or last is None:
            return None
        return int(count), float(last)

    async def record(self, username: str, now: float, window: float) -> tuple[int, float] | None:
        key = self.key(username)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hincrby(key, "count", 1)
                pipe.hset(key, "last", repr(now))
                if window > 0:
                    pipe.expire(key, max(1, int(window) + 1))
                results: list[Any] = await pipe.execute()
        except RedisError as err:
            self._failed(err)
            return None
        self._recovered()
        return int(results[0]), now

    async def clear(self, username: str) -> None:
        try:
            await self._redis.delete(self.key(username))
        except RedisError as err:
            self._failed(err)

    async def close(self) -> None:
        await self._redis.aclose()

    def _failed(self, err: RedisError) -> None:
        if not self._failing:
            log.warning(
                "redis %s: %s; login failures are counted per replica until it answers",
                self.address,
                type(err).__name__,
            )
            self._failing = True

    def _recovered(self) -> None:
        if self._failing:
            log.info("redis %s answers again: login failures are shared", self.address)
            self._failing = False


__all__ = ["RedisLoginFailures"]
