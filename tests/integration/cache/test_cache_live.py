"""The live-state cache against the real local control plane."""

from __future__ import annotations

import asyncio
import gc
import json
import uuid
import warnings
from pathlib import Path

import pytest

from kapstan.cache.cluster import ClusterCache
from kapstan.localcluster import LocalCluster
from kapstan.localcluster.kubectl import Kubectl
from kapstan.testing.builders import open_crd
from tests.integration.cache.conftest import Recorder, eventually, running_cache

pytestmark = pytest.mark.cluster


def tracked_configmap(ns: str, name: str, app: str, value: str = "1") -> str:
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": name,
                "namespace": ns,
                "annotations": {"argocd.argoproj.io/tracking-id": f"{app}:/ConfigMap:{ns}/{name}"},
            },
            "data": {"v": value},
        }
    )


def deployment(ns: str, app: str) -> str:
    return json.dumps(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": "web",
                "namespace": ns,
                "annotations": {
                    "argocd.argoproj.io/tracking-id": f"{app}:apps/Deployment:{ns}/web"
                },
            },
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "containers": [{"name": "c", "image": "nginx"}],
                        "tolerations": [{"operator": "Exists"}],
                    },
                },
            },
        }
    )


def cm_state(cache: ClusterCache, ns: str) -> dict[str, str]:
    """name -> resourceVersion of the ConfigMaps the cache holds in ``ns``."""
    out = {}
    for key in cache.index.in_namespace(ns):
        entry = cache.index.get(key)
        if key[1] == "ConfigMap" and entry is not None:
            out[key[3]] = entry.resource_version
    return out


def live_state(kubectl: Kubectl, ns: str) -> dict[str, str]:
    items = kubectl.get_json("configmaps", "-n", ns)["items"]
    return {i["metadata"]["name"]: i["metadata"]["resourceVersion"] for i in items}


def create_configmaps(kubectl: Kubectl, ns: str, count: int) -> None:
    docs = [json.loads(tracked_configmap(ns, f"cm-{i}", "bulk")) for i in range(count)]
    kubectl(
        "apply", "-f", "-", stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": docs})
    )


def test_change_reaches_cache_and_app_subscriber(
    kubeconfig: Path, kubectl: Kubectl, namespace: str
) -> None:
    async def body() -> None:
        async with running_cache(kubeconfig) as cache:
            rec = Recorder()
            cache.subscribe(rec)
            await asyncio.to_thread(
                kubectl, "apply", "-f", "-", stdin=tracked_configmap(namespace, "cfg", "guestbook")
            )
            key = ("", "ConfigMap", namespace, "cfg")
            took = await eventually(lambda: key in cache.index, 1.0, "configmap cached")
            assert took < 1.0
            assert any("guestbook" in apps and c.key == key for apps, c in rec.seen)
            entry = cache.get(key)
            assert entry is not None
            assert entry.obj is not None  # managed: the full object is kept
            assert "managedFields" not in entry.obj["metadata"]
            assert cache.index.of_app("guestbook") == {key}

            # A change to an owned child reaches the app of its top owner.
            await asyncio.to_thread(
                kubectl, "apply", "-f", "-", stdin=deployment(namespace, "shop")
            )

            def rs_and_pod_seen() -> bool:
                kinds = {c.key[1] for apps, c in rec.seen if "shop" in apps}
                return {"Deployment", "ReplicaSet", "Pod"} <= kinds

            await eventually(rs_and_pod_seen, 30.0, "ReplicaSet and Pod notified to app shop")
            tree = {e.key[1] for e in cache.app_tree("shop")}
            assert {"Deployment", "ReplicaSet", "Pod"} <= tree
            rs = next(e for e in cache.app_tree("shop") if e.key[1] == "ReplicaSet")
            assert rs.obj is not None  # owned by a managed object: kept in full
            other = cache.get(("", "ServiceAccount", namespace, "default"))
            assert other is not None
            assert other.obj is None  # unmanaged: compact

    asyncio.run(body())


def test_survives_apiserver_restart(
    cluster: LocalCluster, kubeconfig: Path, kubectl: Kubectl, namespace: str
) -> None:
    create_configmaps(kubectl, namespace, 20)

    async def body() -> None:
        async with running_cache(kubeconfig) as cache:
            await eventually(lambda: len(cm_state(cache, namespace)) >= 21, 10, "initial")
            rec = Recorder()
            cache.subscribe(rec)
            # Blocking on purpose: the restarted process must be spawned by the main thread.
            cluster.restart_component("kube-apiserver")
            # Changes made right after the restart, while the cache is still reconnecting.
            await asyncio.to_thread(kubectl, "delete", "configmap", "cm-0", "-n", namespace)
            await asyncio.to_thread(
                kubectl, "apply", "-f", "-", stdin=tracked_configmap(namespace, "cm-1", "bulk", "2")
            )
            await asyncio.to_thread(
                kubectl, "apply", "-f", "-", stdin=tracked_configmap(namespace, "after", "bulk")
            )
            live = await asyncio.to_thread(live_state, kubectl, namespace)
            await eventually(lambda: cm_state(cache, namespace) == live, 30, "cache == live")
            events = rec.for_name(namespace, "ConfigMap")
            assert sorted(events) == [("ADDED", "after"), ("DELETED", "cm-0"), ("MODIFIED", "cm-1")]

    asyncio.run(body())


def test_relists_after_compaction(
    cluster: LocalCluster, kubeconfig: Path, kubectl: Kubectl, namespace: str
) -> None:
    create_configmaps(kubectl, namespace, 20)

    async def body() -> None:
        async with running_cache(kubeconfig) as cache:
            await eventually(lambda: len(cm_state(cache, namespace)) >= 21, 10, "initial")
            gk = ("", "ConfigMap")
            reflector = cache.reflectors[gk]
            # Stop the ConfigMap watch (white-box) so that the changes below are missed, then
            # compact etcd and restart the API server: the resume resourceVersion is gone.
            task = cache._tasks[gk]
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            resume_rv = reflector.resource_version
            rec = Recorder()
            cache.subscribe(rec)
            for i in (0, 1, 2):
                await asyncio.to_thread(kubectl, "delete", "configmap", f"cm-{i}", "-n", namespace)
            await asyncio.to_thread(
                kubectl, "apply", "-f", "-", stdin=tracked_configmap(namespace, "cm-3", "bulk", "2")
            )
            await asyncio.to_thread(
                kubectl, "apply", "-f", "-", stdin=tracked_configmap(namespace, "new", "bulk")
            )
            revision = await asyncio.to_thread(cluster.compact_etcd)
            assert revision > int(resume_rv)
            # Blocking on purpose: the restarted process must be spawned by the main thread.
            cluster.restart_component("kube-apiserver")
            gone_before = reflector.stats.relists_after_gone
            cache._tasks[gk] = asyncio.create_task(cache._run_kind(gk, reflector))
            live = await asyncio.to_thread(live_state, kubectl, namespace)
            await eventually(lambda: cm_state(cache, namespace) == live, 30, "cache == live")
            assert reflector.stats.relists_after_gone > gone_before
            events = rec.for_name(namespace, "ConfigMap")
            assert sorted(events) == [
                ("ADDED", "new"),
                ("DELETED", "cm-0"),
                ("DELETED", "cm-1"),
                ("DELETED", "cm-2"),
                ("MODIFIED", "cm-3"),
            ]

    asyncio.run(body())
    # The cache stops while dozens of watches reconnect to the restarted API server, some in
    # mid-TLS-handshake: none of them may leave its socket to the garbage collector.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        gc.collect()
    assert [str(w.message) for w in caught] == []


def test_crd_then_instance_is_cached(kubeconfig: Path, kubectl: Kubectl, namespace: str) -> None:
    group = f"w{uuid.uuid4().hex[:8]}.example.com"
    crd = open_crd(group, "Widget", "widgets")
    widget = {
        "apiVersion": f"{group}/v1",
        "kind": "Widget",
        "metadata": {"name": "w1", "namespace": namespace},
        "spec": {"size": 3},
    }

    async def body() -> None:
        async with running_cache(kubeconfig) as cache:
            await asyncio.to_thread(kubectl, "apply", "-f", "-", stdin=json.dumps(crd))
            await eventually(lambda: (group, "Widget") in cache.reflectors, 15, "watch started")
            await asyncio.to_thread(kubectl, "apply", "-f", "-", stdin=json.dumps(widget))
            key = (group, "Widget", namespace, "w1")
            await eventually(lambda: key in cache.index, 10, "widget cached")
            await asyncio.to_thread(kubectl, "delete", "crd", f"widgets.{group}", "--wait=true")
            await eventually(lambda: key not in cache.index, 20, "widget dropped with its CRD")
            await eventually(lambda: (group, "Widget") not in cache.reflectors, 20, "watch stopped")

    asyncio.run(body())
