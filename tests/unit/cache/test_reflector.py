"""The reflector and cluster cache against a scripted fake API (no cluster)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from kapstan.cache.cluster import ClusterCache
from kapstan.cache.index import Change
from kapstan.cache.reflector import Backoff, Reflector
from kapstan.kube.client import ListResult, WatchEvent
from kapstan.kube.discovery import DiscoveryModel, ResourceInfo
from kapstan.kube.errors import Gone, NotFound, Timeout

CM = ResourceInfo("", "v1", "configmaps", "ConfigMap", True, frozenset({"list", "watch"}))
EVENT = ResourceInfo("", "v1", "events", "Event", True, frozenset({"list", "watch"}))


def cm(name: str, rv: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "a", "uid": f"u-{name}", "resourceVersion": rv},
    }


class FakeApi:
    """Lists come from ``lists``; each watch call plays the next script (events, then an
    exception or a clean end). Records the resourceVersion of each watch call."""

    def __init__(self, lists: list[list[dict[str, Any]]], scripts: list[list[Any]]) -> None:
        self.lists = lists
        self.scripts = scripts
        self.watch_rvs: list[str] = []
        self.list_calls = 0
        self.finished = asyncio.Event()

    async def list(
        self, path: str, params: Mapping[str, Any] | None = None, *, limit: int = 500
    ) -> ListResult:
        items = self.lists[min(self.list_calls, len(self.lists) - 1)]
        self.list_calls += 1
        rv = max((i["metadata"]["resourceVersion"] for i in items), default="1", key=int)
        return ListResult([dict(i) for i in items], rv)

    async def watch(
        self,
        path: str,
        *,
        resource_version: str = "",
        timeout_seconds: int = 300,
        params: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[WatchEvent]:
        self.watch_rvs.append(resource_version)
        if not self.scripts:
            self.finished.set()
            await asyncio.Event().wait()  # hang like an idle watch
        for step in self.scripts.pop(0):
            if isinstance(step, Exception):
                raise step
            yield step

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        raise NotFound("no", code=404, verb="GET")

    async def aclose(self) -> None:
        return None


@dataclass
class FakeDiscovery:
    model: DiscoveryModel

    async def refresh(self) -> DiscoveryModel:
        return self.model


def test_gone_relists_and_reconciles_without_duplicates() -> None:
    api = FakeApi(
        lists=[
            [cm("a", "1"), cm("b", "2"), cm("c", "3")],
            [cm("a", "1"), cm("c", "7"), cm("d", "8")],
        ],
        scripts=[
            [WatchEvent("BOOKMARK", {"metadata": {"resourceVersion": "5"}})],
            [Timeout("WATCH: ConnectError", verb="WATCH")],
            [Gone("too old", code=410, verb="WATCH")],
        ],
    )
    seen: list[tuple[str, str]] = []

    async def body() -> None:
        cache = ClusterCache(
            api,
            FakeDiscovery(DiscoveryModel((CM, EVENT), {"": "v1"})),
            backoff=Backoff(0.001, 0.01),
        )

        def record(_apps: frozenset[str], c: Change) -> None:
            seen.append((c.type, c.key[3]))

        cache.subscribe(record)
        await cache.start()
        await cache.wait_synced(5)
        await asyncio.wait_for(api.finished.wait(), 5)
        assert set(cache.reflectors) == {("", "ConfigMap")}  # Events excluded by default
        stats = cache.reflectors[("", "ConfigMap")].stats
        assert (stats.relists_after_gone, stats.reconnects, stats.lists) == (1, 1, 2)
        await cache.stop()

    asyncio.run(body())
    # bookmark rv kept across the connection error; relist after 410 watches from the new list
    assert api.watch_rvs == ["3", "5", "5", "8"]
    assert seen == [
        ("ADDED", "a"),
        ("ADDED", "b"),
        ("ADDED", "c"),
        ("MODIFIED", "c"),
        ("ADDED", "d"),
        ("DELETED", "b"),
    ]


def test_reflector_returns_when_the_type_is_gone() -> None:
    api = FakeApi(lists=[[cm("a", "1")]], scripts=[[NotFound("gone", code=404, verb="WATCH")]])
    items: list[int] = []

    async def body() -> None:
        r = Reflector(
            api, "/api/v1/configmaps", on_list=lambda i: items.append(len(i)), on_event=print
        )
        await asyncio.wait_for(r.run(), 5)
        assert r.synced.is_set()

    asyncio.run(body())
    assert items == [1]
