"""A real :class:`~kapstan.kube.client.KubeClient` wired to a :class:`FakeKube`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from kapstan.kube.client import KubeClient
from kapstan.kube.config import ClusterConfig
from kapstan.kube.ratelimit import RetryPolicy
from kapstan.testing.fakekube.fake import FakeKube

FAKE_SERVER = "https://fake.invalid"


def fake_client(
    fake: FakeKube,
    *,
    server: str = FAKE_SERVER,
    qps: float = 0.0,
    burst: int = 100,
    retry: RetryPolicy | None = None,
    timeout: float = 30.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> KubeClient:
    """A client of ``fake`` with its own transport: ``async with fake_client(fake) as kube``.

    Throttling is off by default (``qps=0``): tests measure the fake, not the token bucket.
    ``.invalid`` is a reserved TLD, so a request that missed the transport could not reach
    any host.
    """
    return KubeClient(
        ClusterConfig(server=server, name="fake"),
        qps=qps,
        burst=burst,
        retry=retry,
        timeout=timeout,
        sleep=sleep,
        transport=fake.transport(),
    )
