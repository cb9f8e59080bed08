"""A :class:`~kapstan.services.snapshots.SnapshotStore` in Redis: the controller publishes, any
number of API server replicas read (Argo CD keeps the same views in its Redis cache).

Contract of :class:`RedisSnapshots`:

- one hash per app, key ``kapstan|snapshot|<namespace>|<name>``, fields ``at`` (the
  comparison time) and ``body`` (zlib-compressed JSON: revision, tree, managed resources); it
  expires after :data:`TTL` seconds, so an app whose controller is gone does not live on;
- ``put`` is atomic and never replaces a newer snapshot with an older one (a Lua script
  compares ``at``); ``get`` answers ``None`` for an unknown app;
- Redis being unreachable raises :class:`SnapshotStoreError` with the address — never the
  password; the controller logs it and carries on (the API then answers Unavailable).
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Mapping
from typing import Any

import orjson
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import RedisError

from kapstan.services.snapshots import Snapshot, SnapshotStoreError

TTL = 24 * 3600  # seconds; every comparison rewrites it
PREFIX = "kapstan|snapshot"
_PUT = """
local current = redis.call('HGET', KEYS[1], 'at')
if current and current > ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'at', ARGV[1], 'body', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""


def parse_address(address: str) -> tuple[str, int]:
    """``host:port`` (Argo CD's ``--redis`` form; the port defaults to 6379)."""
    host, sep, port = address.strip().rpartition(":")
    if not sep:
        return address.strip(), 6379
    if not port.isdigit() or not host:
        raise ValueError(f"redis address {address!r} is not host:port")
    return host.strip("[]"), int(port)


REDIS_PARAM = "redis.server"  # argocd-cmd-params-cm, as Argo CD
REDIS_ENV = "REDIS_SERVER"
REDIS_PASSWORD_ENV = "REDIS_PASSWORD"  # noqa: S105 - the variable's name (Argo CD's)


def redis_settings(
    flag: str | None, params: Mapping[str, str], password: str | None = None
) -> tuple[str, str | None]:
    """``(address, password)`` as Argo CD's components find them: the ``--redis`` flag, else
    ``$REDIS_SERVER``, else argocd-cmd-params-cm ``redis.server`` (``""``: no Redis); the
    password from the flag's companion, else ``$REDIS_PASSWORD``."""
    address = (flag or os.environ.get(REDIS_ENV, "") or params.get(REDIS_PARAM, "")).strip()
    return address, password or os.environ.get(REDIS_PASSWORD_ENV) or None


class RedisSnapshots:
    """Snapshots in the Redis at ``address`` (see the module contract)."""

    def __init__(self, address: str, password: str | None = None, db: int = 0) -> None:
        host, port = parse_address(address)
        self.address = f"{host}:{port}"
        self._redis = aioredis.Redis(
            host=host,
            port=port,
            db=db,
            password=password or None,
            socket_timeout=5.0,
            socket_connect_timeout=5.0,
            # One quick retry: a reader waits on this, and an outage is reported, not hidden.
            retry=Retry(ExponentialBackoff(cap=0.2, base=0.05), retries=1),
        )
        self._put = self._redis.register_script(_PUT)

    @staticmethod
    def key(namespace: str, name: str) -> str:
        return f"{PREFIX}|{namespace}|{name}"

    async def put(self, snapshot: Snapshot) -> None:
        body = {
            "revision": snapshot.revision,
            "tree": snapshot.tree,
            "managed": list(snapshot.managed),
        }
        packed = zlib.compress(orjson.dumps(body), 1)
        key = self.key(snapshot.namespace, snapshot.name)
        try:
            await self._put(keys=[key], args=[snapshot.reconciled_at, packed, TTL])
        except RedisError as err:
            raise SnapshotStoreError(f"redis {self.address}: {type(err).__name__}") from None

    async def get(self, namespace: str, name: str) -> Snapshot | None:
        try:
            found: list[Any] = await self._redis.hmget(self.key(namespace, name), ["at", "body"])
        except RedisError as err:
            raise SnapshotStoreError(f"redis {self.address}: {type(err).__name__}") from None
        at, packed = found
        if at is None or packed is None:
            return None
        try:
            body = orjson.loads(zlib.decompress(packed))
        except (zlib.error, orjson.JSONDecodeError):
            raise SnapshotStoreError(f"redis {self.address}: unreadable snapshot") from None
        return Snapshot.of(
            namespace,
            name,
            at.decode() if isinstance(at, bytes) else str(at),
            str(body.get("revision") or ""),
            body.get("tree") or {"nodes": []},
            body.get("managed") or [],
        )

    async def delete(self, namespace: str, name: str) -> None:
        try:
            await self._redis.delete(self.key(namespace, name))
        except RedisError as err:
            raise SnapshotStoreError(f"redis {self.address}: {type(err).__name__}") from None

    async def ping(self) -> None:
        """Raise :class:`SnapshotStoreError` unless Redis answers."""
        try:
            await self._redis.ping()
        except RedisError as err:
            raise SnapshotStoreError(f"redis {self.address}: {type(err).__name__}") from None

    async def close(self) -> None:
        await self._redis.aclose()


__all__ = ["REDIS_PARAM", "TTL", "RedisSnapshots", "parse_address", "redis_settings"]
