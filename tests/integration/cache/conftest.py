"""Helpers for the live-state cache tests: run a cache against a kubeconfig, poll for state."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from kapstan.cache.cluster import ClusterCache
from kapstan.cache.index import Change
from kapstan.cache.reflector import Backoff
from kapstan.kube.client import KubeClient
from kapstan.kube.config import load_kubeconfig
from kapstan.kube.discovery import Discovery


@asynccontextmanager
async def running_cache(kubeconfig: Path) -> AsyncIterator[ClusterCache]:
    async with KubeClient(load_kubeconfig(kubeconfig)) as kube:
        cache = ClusterCache(kube, Discovery(kube), backoff=Backoff(0.1, 1.0))
        await cache.start()
        try:
            await cache.wait_synced(60)
            yield cache
        finally:
            await cache.stop()


async def eventually(check: Callable[[], bool], timeout: float = 10.0, what: str = "") -> float:
    """Poll ``check`` until true; return how long it took (fails after ``timeout``)."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not true after {timeout}s: {what}")
        await asyncio.sleep(0.01)
    return time.monotonic() - start


class Recorder:
    """A subscriber that keeps every (apps, change) it receives."""

    def __init__(self) -> None:
        self.seen: list[tuple[frozenset[str], Change]] = []

    def __call__(self, apps: frozenset[str], change: Change) -> None:
        self.seen.append((apps, change))

    def for_name(self, namespace: str, kind: str, start: int = 0) -> list[tuple[str, str]]:
        return [
            (c.type, c.key[3])
            for _apps, c in self.seen[start:]
            if c.key[1] == kind and c.key[2] == namespace
        ]
