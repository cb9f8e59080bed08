"""The Redis snapshot store against a real redis-server: what the controller publishes, an API
server in another process reads; an older snapshot never replaces a newer one; an unreachable
Redis is a clear error naming the address, never the password."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from kapstan.services.redissnapshots import RedisSnapshots, parse_address
from kapstan.services.snapshots import PublishedSnapshots, Snapshot, SnapshotStoreError
from kapstan.testing.redisserver import redis_server

TREE = {"nodes": [{"kind": "ConfigMap", "name": "settings", "namespace": "web", "version": "v1"}]}
MANAGED = [{"kind": "ConfigMap", "name": "settings", "liveState": '{"data":"++++++++"}'}]


def _snapshot(at: str, revision: str = "abc") -> Snapshot:
    return Snapshot.of("argocd", "demo", at, revision, TREE, MANAGED)


def test_published_snapshots_are_read_back(tmp_path: Path) -> None:
    async def body(address: str, password: str) -> None:
        writer, reader = RedisSnapshots(address, password), RedisSnapshots(address, password)
        try:
            assert await reader.get("argocd", "demo") is None
            await writer.put(_snapshot("2026-12-01T10:00:00Z"))
            got = await reader.get("argocd", "demo")
            assert got is not None
            assert (got.tree, list(got.managed), got.revision) == (TREE, MANAGED, "abc")
            await writer.put(_snapshot("2026-12-01T09:00:00Z", "older"))
            got = await reader.get("argocd", "demo")
            assert got is not None
            assert got.revision == "abc"  # the older one was dropped
            await writer.put(_snapshot("2026-12-01T11:00:00Z", "newer"))
            got = await reader.get("argocd", "demo")
            assert got is not None
            assert got.revision == "newer"
            await writer.delete("argocd", "demo")
            assert await reader.get("argocd", "demo") is None
        finally:
            await writer.close()
            await reader.close()

    with redis_server(tmp_path) as redis:
        asyncio.run(body(redis.address, redis.password))


def test_unreachable_redis_is_a_clear_error_without_the_password(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def body(address: str) -> None:
        store = RedisSnapshots(address, "s3cret-Pa55")
        try:
            with pytest.raises(SnapshotStoreError) as raised:
                await store.get("argocd", "demo")
            assert address in str(raised.value)
            assert "s3cret-Pa55" not in str(raised.value)
            # The controller's side logs and carries on.
            published = PublishedSnapshots(store)
            await published.put(_snapshot("2026-12-01T10:00:00Z"))
            await published.put(_snapshot("2026-12-01T10:00:01Z"))
        finally:
            await store.close()

    with redis_server(tmp_path) as redis:
        address = redis.address
    asyncio.run(body(address))  # stopped: nothing listens there now
    warnings = [r for r in caplog.records if "publishing snapshots failed" in r.getMessage()]
    assert len(warnings) == 1  # once per outage
    assert "s3cret-Pa55" not in caplog.text


def test_wrong_password_is_refused(tmp_path: Path) -> None:
    async def body(address: str) -> None:
        store = RedisSnapshots(address, "wrong")
        try:
            with pytest.raises(SnapshotStoreError):
                await store.get("argocd", "demo")
        finally:
            await store.close()

    with redis_server(tmp_path) as redis:
        asyncio.run(body(redis.address))


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("argocd-redis:6379", ("argocd-redis", 6379)),
        ("127.0.0.1:6390", ("127.0.0.1", 6390)),
        ("redis", ("redis", 6379)),
        ("[::1]:7000", ("::1", 7000)),
    ],
)
def test_addresses(given: str, expected: tuple[str, int]) -> None:
    assert parse_address(given) == expected


def test_bad_address() -> None:
    with pytest.raises(ValueError, match="host:port"):
        parse_address("redis:port")
