"""Watches through the real KubeClient, and the real Reflector and ClusterCache, on FakeKube."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kapstan.cache.cluster import ClusterCache
from kapstan.cache.index import Change
from kapstan.cache.reflector import Backoff, Reflector
from kapstan.kube.client import KubeClient, WatchEvent
from kapstan.kube.discovery import Discovery
from kapstan.kube.errors import Gone
from kapstan.testing import FakeKube
from kapstan.testing.builders import open_crd
from tests.unit.testing.helpers import configmap, deployment, eventually, run

CMS = "/api/v1/namespaces/default/configmaps"
TRACKING = "argocd.argoproj.io/tracking-id"


async def collect(
    kube: KubeClient, path: str, rv: str = "", count: int = 0, **params: str
) -> list[tuple[str, str]]:
    """(type, name) of the watch's events: the first ``count``, or all until the server ends
    the watch (``timeoutSeconds=1``)."""
    out = []
    events = kube.watch(path, resource_version=rv, timeout_seconds=1, params=params)
    async with contextlib.aclosing(events):
        async for event in events:
            out.append((event.type, str(event.object["metadata"].get("name") or "")))
            if len(out) == count:
                break
    return out


def test_watch_from_resource_version_then_timeout_with_bookmark() -> None:
    fake = FakeKube()
    fake.put(configmap("before"))

    async def body(kube: KubeClient) -> list[tuple[str, str]]:
        rv = (await kube.list(CMS)).resource_version
        task = asyncio.create_task(collect(kube, CMS, rv))
        await eventually(lambda: fake.open_watches == 1)
        fake.put(configmap("a", k="1"))
        fake.edit("ConfigMap", "a", "default", change={"data": {"k": "2"}})
        fake.put(configmap("elsewhere", "other"))  # another namespace: not watched
        fake.delete("ConfigMap", "a", "default")
        return await task  # ends after timeoutSeconds=1

    events = run(fake, body)
    assert events == [("ADDED", "a"), ("MODIFIED", "a"), ("DELETED", "a"), ("BOOKMARK", "")]
    assert fake.open_watches == 0


def test_watch_without_resource_version_starts_with_existing_objects() -> None:
    fake = FakeKube()
    fake.put(configmap("x"))
    fake.put(configmap("y"))

    async def body(kube: KubeClient) -> list[tuple[str, str]]:
        return await collect(kube, CMS, count=2)

    assert run(fake, body) == [("ADDED", "x"), ("ADDED", "y")]
    assert fake.open_watches == 0  # closing the iterator closed the stream


def test_watch_selector_transitions() -> None:
    fake = FakeKube()

    async def body(kube: KubeClient) -> list[tuple[str, str]]:
        rv = fake.resource_version
        task = asyncio.create_task(collect(kube, CMS, rv, 3, labelSelector="on"))
        await eventually(lambda: fake.open_watches == 1)
        fake.put(configmap("a"))  # not matching: nothing
        fake.edit("ConfigMap", "a", "default", change={"metadata": {"labels": {"on": "1"}}})
        fake.edit("ConfigMap", "a", "default", change={"data": {"k": "v"}})
        fake.edit("ConfigMap", "a", "default", change={"metadata": {"labels": None}})
        return await task

    assert run(fake, body) == [("ADDED", "a"), ("MODIFIED", "a"), ("DELETED", "a")]


def test_too_old_resource_version_is_gone() -> None:
    fake = FakeKube(history=3)
    start = fake.resource_version
    for i in range(5):
        fake.put(configmap(f"cm-{i}"))

    async def body(kube: KubeClient) -> None:
        with pytest.raises(Gone) as err:
            await collect(kube, CMS, start)
        assert err.value.reason == "Expired"
        # Recent enough: served from the history.
        recent = str(int(fake.resource_version) - 2)
        assert await collect(kube, CMS, recent, 2) == [("ADDED", "cm-3"), ("ADDED", "cm-4")]

    run(fake, body)


def test_forced_expiry_ends_open_watches_and_bookmarks_on_demand() -> None:
    fake = FakeKube()

    async def body(kube: KubeClient) -> list[str]:
        seen: list[str] = []

        async def watch() -> None:
            async for event in kube.watch(CMS, resource_version=fake.resource_version):
                seen.append(event.type)

        task = asyncio.create_task(watch())
        await eventually(lambda: fake.open_watches == 1)
        fake.bookmark()
        await eventually(lambda: seen == ["BOOKMARK"])
        fake.expire_history()
        with pytest.raises(Gone):
            await task
        return seen

    assert run(fake, body) == ["BOOKMARK"]
    assert fake.open_watches == 0


def test_writes_from_another_thread_reach_the_watch() -> None:
    fake = FakeKube()

    async def body(kube: KubeClient) -> list[tuple[str, str]]:
        task = asyncio.create_task(collect(kube, CMS, fake.resource_version, 1))
        await eventually(lambda: fake.open_watches == 1)
        await asyncio.to_thread(fake.put, configmap("threaded"))
        return await task

    assert run(fake, body) == [("ADDED", "threaded")]


def test_reflector_resumes_after_restart_and_relists_after_expiry() -> None:
    fake = FakeKube()
    fake.put(configmap("a"))
    events: list[WatchEvent] = []
    lists: list[list[str]] = []

    async def body(kube: KubeClient) -> Reflector:
        reflector = Reflector(
            kube,
            CMS,
            on_list=lambda items: lists.append([i["metadata"]["name"] for i in items]),
            on_event=events.append,
            backoff=Backoff(0.01, 0.05),
        )
        task = asyncio.create_task(reflector.run())
        try:
            await asyncio.wait_for(reflector.synced.wait(), 1)
            await eventually(lambda: fake.open_watches == 1)
            fake.end_watches()  # an API server restart: resume from the last resourceVersion
            fake.put(configmap("b"))
            await eventually(lambda: [e.object["metadata"]["name"] for e in events] == ["b"])
            fake.expire_history()
            await eventually(lambda: len(lists) == 2)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        return reflector

    reflector = run(fake, body)
    assert lists == [["a"], ["a", "b"]]
    assert reflector.stats.lists == 2
    assert reflector.stats.relists_after_gone == 1
    assert fake.count("GET", CMS, watch=True) >= 3  # first watch, resumed watch, after relist
    assert fake.open_watches == 0


# -- the cluster cache (mirrors tests/integration/cache/test_cache_live.py) ---------------------


class Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[frozenset[str], Change]] = []

    def __call__(self, apps: frozenset[str], change: Change) -> None:
        self.seen.append((apps, change))

    def names(self, kind: str, ns: str) -> list[tuple[str, str]]:
        return [(c.type, c.key[3]) for _a, c in self.seen if c.key[1] == kind and c.key[2] == ns]


def tracked(name: str, app: str, ns: str = "default", value: str = "1") -> dict[str, Any]:
    obj = configmap(name, ns, v=value)
    obj["metadata"]["annotations"] = {TRACKING: f"{app}:/ConfigMap:{ns}/{name}"}
    return obj


def cm_state(cache: ClusterCache, ns: str) -> dict[str, str]:
    out = {}
    for key in cache.index.in_namespace(ns):
        entry = cache.index.get(key)
        if key[1] == "ConfigMap" and entry is not None:
            out[key[3]] = entry.resource_version
    return out


def live_state(fake: FakeKube, ns: str) -> dict[str, str]:
    items = fake.objects("ConfigMap", namespace=ns)
    return {i["metadata"]["name"]: i["metadata"]["resourceVersion"] for i in items}


@contextlib.asynccontextmanager
async def running_cache(kube: KubeClient) -> AsyncIterator[ClusterCache]:
    cache = ClusterCache(kube, Discovery(kube), backoff=Backoff(0.01, 0.1))
    await cache.start()
    try:
        await cache.wait_synced(2)
        yield cache
    finally:
        await cache.stop()


def test_cache_syncs_and_sees_changes() -> None:
    fake = FakeKube()
    fake.put(configmap("seeded"))
    rec = Recorder()

    async def body(kube: KubeClient) -> None:
        async with running_cache(kube) as cache:
            assert ("", "ConfigMap", "default", "seeded") in cache.index
            # Every listable kind has its watch (plus the ones it already resumed).
            assert fake.open_watches == len(cache.reflectors)
            cache.subscribe(rec)
            fake.put(tracked("cfg", "guestbook"))
            key = ("", "ConfigMap", "default", "cfg")
            await eventually(lambda: key in cache.index, 1.0, "configmap cached")
            entry = cache.get(key)
            assert entry is not None
            assert entry.obj is not None
            assert cache.index.of_app("guestbook") == {key}
            fake.edit("ConfigMap", "cfg", "default", change={"data": {"v": "2"}})
            await eventually(lambda: ("MODIFIED", "cfg") in rec.names("ConfigMap", "default"))
            fake.delete("ConfigMap", "cfg", "default")
            await eventually(lambda: key not in cache.index, 1.0, "configmap dropped")
            # An owned child reaches the app of its owner.
            web = deployment("web")
            web["metadata"]["annotations"] = {TRACKING: "shop:apps/Deployment:default/web"}
            owner = fake.put(web)
            ref = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                   "uid": owner["metadata"]["uid"]}  # fmt: skip
            meta = {"name": "web-1", "namespace": "default", "ownerReferences": [ref]}
            fake.put({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": meta})
            await eventually(
                lambda: (
                    {c.key[1] for apps, c in rec.seen if "shop" in apps}
                    >= {"Deployment", "ReplicaSet"}
                )
            )
        assert fake.open_watches == 0

    run(fake, body)
    assert rec.names("ConfigMap", "default") == [
        ("ADDED", "cfg"),
        ("MODIFIED", "cfg"),
        ("DELETED", "cfg"),
    ]


def test_cache_relists_after_forced_expiry() -> None:
    fake = FakeKube()
    for i in range(20):
        fake.put(tracked(f"cm-{i}", "bulk"))

    async def body(kube: KubeClient) -> None:
        async with running_cache(kube) as cache:
            gk = ("", "ConfigMap")
            reflector = cache.reflectors[gk]
            # Stop the ConfigMap watch (white-box, as the live test does) so the changes below
            # are missed, then compact: the resume resourceVersion is gone.
            task = cache._tasks[gk]
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            rec = Recorder()
            cache.subscribe(rec)
            for i in (0, 1, 2):
                fake.delete("ConfigMap", f"cm-{i}", "default")
            fake.put(tracked("cm-3", "bulk", value="2"))
            fake.put(tracked("new", "bulk"))
            fake.expire_history()
            cache._tasks[gk] = asyncio.create_task(cache._run_kind(gk, reflector))
            live = live_state(fake, "default")
            await eventually(lambda: cm_state(cache, "default") == live, 2.0, "cache == live")
            assert reflector.stats.relists_after_gone == 1
            assert sorted(rec.names("ConfigMap", "default")) == [
                ("ADDED", "new"),
                ("DELETED", "cm-0"),
                ("DELETED", "cm-1"),
                ("DELETED", "cm-2"),
                ("MODIFIED", "cm-3"),
            ]
            # Every kind relists when all watches are dropped (once they are all open again).
            await eventually(lambda: fake.open_watches == len(cache.reflectors))
            before = {gk: r.stats.relists_after_gone for gk, r in cache.reflectors.items()}
            fake.expire_history()
            await eventually(
                lambda: all(r.stats.relists_after_gone > before[gk]
                            for gk, r in cache.reflectors.items())
            )  # fmt: skip

    run(fake, body)


def test_cache_survives_apiserver_restart() -> None:
    fake = FakeKube()
    for i in range(20):
        fake.put(tracked(f"cm-{i}", "bulk"))

    async def body(kube: KubeClient) -> None:
        async with running_cache(kube) as cache:
            rec = Recorder()
            cache.subscribe(rec)
            lists = sum(r.stats.lists for r in cache.reflectors.values())
            fake.end_watches()
            # Changes made right after the restart, while the cache is reconnecting.
            fake.delete("ConfigMap", "cm-0", "default")
            fake.put(tracked("cm-1", "bulk", value="2"))
            fake.put(tracked("after", "bulk"))
            live = live_state(fake, "default")
            await eventually(lambda: cm_state(cache, "default") == live, 2.0, "cache == live")
            assert sorted(rec.names("ConfigMap", "default")) == [
                ("ADDED", "after"),
                ("DELETED", "cm-0"),
                ("MODIFIED", "cm-1"),
            ]
            # Resumed from the last resourceVersion: nothing was listed again.
            assert sum(r.stats.lists for r in cache.reflectors.values()) == lists

    run(fake, body)


def test_cache_survives_api_errors() -> None:
    fake = FakeKube()

    async def body(kube: KubeClient) -> None:
        async with running_cache(kube) as cache:
            reflector = cache.reflectors[("", "ConfigMap")]
            fake.fail("/api/v1/configmaps", 503, times=5)
            fake.expire_history()  # every watch reconnects, the ConfigMap one hits the 503s
            fake.put(tracked("after", "app"))
            key = ("", "ConfigMap", "default", "after")
            await eventually(lambda: key in cache.index, 3.0, "cached after the outage")
            assert reflector.stats.reconnects >= 1

    run(fake, body, sleep=_no_sleep)


async def _no_sleep(_seconds: float) -> None:
    await asyncio.sleep(0)


def test_cache_follows_crds() -> None:
    fake = FakeKube()
    crd = open_crd("example.com", "Widget", "widgets")
    widget = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w1", "namespace": "default"},
        "spec": {"size": 3},
    }

    async def body(kube: KubeClient) -> None:
        async with running_cache(kube) as cache:
            crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
            await kube.request("POST", crds, body=json.loads(json.dumps(crd)))
            gk = ("example.com", "Widget")
            await eventually(lambda: gk in cache.reflectors, 2.0, "watch started")
            await kube.request(
                "POST", "/apis/example.com/v1/namespaces/default/widgets", body=widget
            )
            key = ("example.com", "Widget", "default", "w1")
            await eventually(lambda: key in cache.index, 1.0, "widget cached")
            await kube.request("DELETE", f"{crds}/widgets.example.com")
            await eventually(lambda: key not in cache.index, 2.0, "widget dropped with its CRD")
            await eventually(lambda: gk not in cache.reflectors, 2.0, "watch stopped")

    run(fake, body)
