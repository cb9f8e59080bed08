"""What API replicas share through a real redis-server: revocations (a logout on one replica
holds on another after a sync, expires with the token, an outage keeps what was known, logged
once without the password) and login failures (counted across replicas, expiring with the
window, an outage answered with nothing)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from kapstan.services.loginfailures import RedisLoginFailures
from kapstan.services.revocations import RedisRevocations
from kapstan.testing.redisserver import redis_server


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_a_logout_reaches_the_other_replica_and_expires(tmp_path: Path) -> None:
    clock = Clock()

    async def body(address: str, password: str) -> None:
        one = RedisRevocations(address, password, clock=clock)
        two = RedisRevocations(address, password, clock=clock)
        try:
            await one.revoke("jti-1", 1_100.0)
            await one.revoke("api-key", None)
            assert one.is_revoked("jti-1")
            assert not two.is_revoked("jti-1")  # not synced yet
            await two.sync()
            assert two.is_revoked("jti-1")
            assert two.is_revoked("api-key")
            clock.now = 1_100.0
            fresh = RedisRevocations(address, password, clock=clock)
            await fresh.sync()  # the expired id was dropped from Redis too
            assert not fresh.is_revoked("jti-1")
            assert fresh.is_revoked("api-key")
            await fresh.close()
        finally:
            await one.close()
            await two.close()

    with redis_server(tmp_path) as redis:
        asyncio.run(body(redis.address, redis.password))


def test_an_outage_keeps_what_was_known(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async def body(address: str) -> None:
        replica = RedisRevocations(address, "s3cret-Pa55")
        try:
            await replica.revoke("jti-2", None)  # Redis is down: kept here, logged
            await replica.sync()
            await replica.sync()
            assert replica.is_revoked("jti-2")
        finally:
            await replica.close()

    with redis_server(tmp_path) as redis:
        address = redis.address
    asyncio.run(body(address))
    warnings = [r for r in caplog.records if "revoked tokens are kept" in r.getMessage()]
    assert len(warnings) == 1
    assert "s3cret-Pa55" not in caplog.text


def test_login_failures_add_up_across_replicas_and_expire(tmp_path: Path) -> None:
    async def body(address: str, password: str) -> None:
        one, two = RedisLoginFailures(address, password), RedisLoginFailures(address, password)
        try:
            assert await one.fetch("alice") is None
            assert await one.record("alice", 1000.0, 300) == (1, 1000.0)
            assert await two.record("alice", 1001.5, 300) == (2, 1001.5)
            assert await one.fetch("alice") == (2, 1001.5)
            assert await one.fetch("bob") is None
            other_install = RedisLoginFailures(address, password, "another-namespace")
            assert await other_install.fetch("alice") is None  # its own counts
            await other_install.close()
            await two.clear("alice")
            assert await one.fetch("alice") is None
            await one.record("carol", 1000.0, 1)  # a 1 s window: gone after 2 s
            await asyncio.sleep(2.2)
            assert await two.fetch("carol") is None
        finally:
            await one.close()
            await two.close()

    with redis_server(tmp_path) as redis:
        asyncio.run(body(redis.address, redis.password))


def test_login_failures_during_an_outage_are_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def body(address: str) -> None:
        shared = RedisLoginFailures(address, "s3cret-Pa55")
        try:
            assert await shared.record("alice", 1000.0, 300) is None
            assert await shared.fetch("alice") is None
        finally:
            await shared.close()

    with redis_server(tmp_path) as redis:
        address = redis.address
    asyncio.run(body(address))
    warnings = [r for r in caplog.records if "counted per replica" in r.getMessage()]
    assert len(warnings) == 1
    assert "s3cret-Pa55" not in caplog.text
