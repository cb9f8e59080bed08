"""Revoked tokens in one process: refused until they would have expired, then forgotten."""

from __future__ import annotations

import asyncio

from kapstan.services.revocations import Revocations


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_a_revoked_token_is_refused_until_its_expiry() -> None:
    clock = Clock()
    revoked = Revocations(clock)
    asyncio.run(revoked.revoke("session-1", expires_at=1_060.0))
    asyncio.run(revoked.revoke("forever", expires_at=None))
    assert revoked.is_revoked("session-1")
    assert not revoked.is_revoked("session-2")
    clock.now = 1_059.0
    assert revoked.is_revoked("session-1")
    clock.now = 1_060.0
    assert not revoked.is_revoked("session-1")  # expired anyway: forgotten
    assert revoked.is_revoked("forever")
    clock.now = 10**9
    assert revoked.is_revoked("forever")
