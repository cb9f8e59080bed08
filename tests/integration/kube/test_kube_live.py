"""The kube adapter against the real local control plane."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import sys
import textwrap
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import orjson
import pytest

from kapstan.kube.apply import Action, Writer
from kapstan.kube.client import KubeClient, WatchEvent
from kapstan.kube.config import load_kubeconfig
from kapstan.kube.discovery import Discovery
from kapstan.kube.errors import Conflict, Invalid, NotFound
from kapstan.localcluster import LocalCluster
from kapstan.localcluster.kubectl import Kubectl
from kapstan.model.sync import Propagation
from kapstan.testing.builders import open_crd

pytestmark = pytest.mark.cluster
T = TypeVar("T")


def run(kubeconfig: Path, body: Callable[[KubeClient, Writer], Awaitable[T]]) -> T:
    async def main() -> T:
        async with KubeClient(load_kubeconfig(kubeconfig)) as kube:
            return await body(kube, Writer(kube, Discovery(kube)))

    return asyncio.run(main())


def configmap(ns: str, name: str, data: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns},
        "data": data,
    }


def test_discovery_lists_core_apps_and_crds(kubeconfig: Path) -> None:
    async def body(kube: KubeClient, _w: Writer) -> None:
        d = Discovery(kube)
        model = await d.refresh()
        assert model.preferred["apps"] == "v1"
        pod = model.find("", "Pod")
        assert pod is not None
        assert (pod.resource, pod.namespaced, "watch" in pod.verbs) == ("pods", True, True)
        deploy = await d.lookup("apps", "Deployment")
        assert deploy.path("ns1", "web") == "/apis/apps/v1/namespaces/ns1/deployments/web"
        crd = await d.lookup("apiextensions.k8s.io", "CustomResourceDefinition")
        assert (crd.resource, crd.namespaced) == ("customresourcedefinitions", False)
        assert not await d.is_namespaced("", "Namespace")
        legacy = await d._legacy()
        assert legacy.find("apps", "Deployment") == deploy

    run(kubeconfig, body)


def test_server_side_apply_actions(kubeconfig: Path, namespace: str) -> None:
    async def body(kube: KubeClient, w: Writer) -> None:
        cm = configmap(namespace, "ssa", {"a": "1"})
        assert (await w.apply(cm)).action is Action.created
        assert (await w.apply(cm)).action is Action.unchanged
        changed = configmap(namespace, "ssa", {"a": "2"})
        dry = await w.apply(changed, dry_run=True)
        assert dry.action is Action.configured
        live = await kube.get(f"/api/v1/namespaces/{namespace}/configmaps/ssa")
        assert live["data"] == {"a": "1"}
        assert dry.live is not None
        assert dry.live["metadata"]["resourceVersion"] == live["metadata"]["resourceVersion"]
        assert (await w.apply(changed)).action is Action.configured
        assert (await kube.get(f"/api/v1/namespaces/{namespace}/configmaps/ssa"))["data"] == {
            "a": "2"
        }

    run(kubeconfig, body)


def test_strict_validation_names_unknown_field(kubeconfig: Path, namespace: str) -> None:
    async def body(_kube: KubeClient, w: Writer) -> None:
        cm = configmap(namespace, "strict", {"a": "1"})
        cm["bogusField"] = 1
        with pytest.raises(Invalid) as err:
            await w.apply(cm, strict=True, dry_run=True)
        assert "bogusField" in str(err.value)
        assert err.value.fields == ("bogusField",)

    run(kubeconfig, body)


def test_conflict_between_field_managers(kubeconfig: Path, namespace: str) -> None:
    async def body(kube: KubeClient, w: Writer) -> None:
        await w.apply(configmap(namespace, "shared", {"a": "1"}))
        other = Writer(kube, w.discovery, field_manager="someone-else")
        with pytest.raises(Conflict) as err:
            await other.apply(configmap(namespace, "shared", {"a": "2"}))
        assert err.value.code == 409
        assert "conflict" in str(err.value).lower()
        assert "kapstan-controller" in str(err.value)  # names the manager that owns the field
        forced = await other.apply(configmap(namespace, "shared", {"a": "2"}), force=True)
        assert forced.action is Action.configured

    run(kubeconfig, body)


def test_not_found_mapping(kubeconfig: Path, namespace: str) -> None:
    async def body(kube: KubeClient, _w: Writer) -> None:
        path = f"/api/v1/namespaces/{namespace}/configmaps/missing"
        with pytest.raises(NotFound) as err:
            await kube.get(path)
        assert err.value.reason == "NotFound"
        assert path in str(err.value)
        assert "GET" in str(err.value)

    run(kubeconfig, body)


def test_crd_then_instance_in_same_run(kubeconfig: Path, namespace: str) -> None:
    group = f"g{uuid.uuid4().hex[:8]}.kapstan.test"
    crd = open_crd(group, "Widget", "widgets")

    async def body(kube: KubeClient, w: Writer) -> None:
        await w.discovery.refresh()  # cached model predates the CRD
        assert (await w.apply(crd)).action is Action.created
        widget = {
            "apiVersion": f"{group}/v1",
            "kind": "Widget",
            "metadata": {"name": "w1", "namespace": namespace},
            "spec": {"size": 3},
        }
        assert (await w.apply(widget)).action is Action.created
        live = await kube.get(f"/apis/{group}/v1/namespaces/{namespace}/widgets/w1")
        assert live["spec"] == {"size": 3}
        await w.delete(crd)

    run(kubeconfig, body)


def test_delete_with_propagation(kubeconfig: Path, namespace: str) -> None:
    async def body(kube: KubeClient, w: Writer) -> None:
        cm = configmap(namespace, "gone", {"a": "1"})
        await w.create(cm)
        with pytest.raises(Conflict):
            await w.create(cm)
        rec = await w.delete(cm, propagation=Propagation.background)
        assert rec.action is Action.deleted
        with pytest.raises(NotFound):
            await kube.get(f"/api/v1/namespaces/{namespace}/configmaps/gone")
        assert (await w.delete(cm, propagation=Propagation.orphan)).action is Action.skipped

    run(kubeconfig, body)


def test_client_side_apply_replace_and_patch(kubeconfig: Path, namespace: str) -> None:
    async def body(kube: KubeClient, w: Writer) -> None:
        cm = configmap(namespace, "csa", {"a": "1", "b": "2"})
        assert (await w.client_side_apply(cm)).action is Action.created
        assert (await w.client_side_apply(cm)).action is Action.unchanged
        rec = await w.client_side_apply(configmap(namespace, "csa", {"a": "1"}))
        assert rec.action is Action.configured
        path = f"/api/v1/namespaces/{namespace}/configmaps/csa"
        assert (await kube.get(path))["data"] == {"a": "1"}
        rec = await w.patch(cm, {"data": {"c": "3"}})
        assert rec.action is Action.configured
        rec = await w.replace(configmap(namespace, "csa", {"z": "9"}))
        assert rec.action is Action.configured
        assert (await kube.get(path))["data"] == {"z": "9"}

    run(kubeconfig, body)


def test_list_paging(kubeconfig: Path, namespace: str) -> None:
    async def body(kube: KubeClient, w: Writer) -> None:
        for i in range(5):
            await w.create(configmap(namespace, f"page-{i}", {"i": str(i)}))
        path = f"/api/v1/namespaces/{namespace}/configmaps"
        result = await kube.list(path, {"labelSelector": ""}, limit=2)
        names = sorted(i["metadata"]["name"] for i in result.items)
        assert [n for n in names if n.startswith("page-")] == [f"page-{i}" for i in range(5)]
        assert result.resource_version
        assert result.kind == "ConfigMap"
        assert all(i["kind"] == "ConfigMap" and i["apiVersion"] == "v1" for i in result.items)

    run(kubeconfig, body)


def test_watch_sees_kubectl_changes_and_bookmarks(
    kubeconfig: Path, kubectl: Kubectl, namespace: str
) -> None:
    async def body(kube: KubeClient, _w: Writer) -> list[WatchEvent]:
        path = f"/api/v1/namespaces/{namespace}/configmaps"
        start = await kube.list(path)
        events: list[WatchEvent] = []

        async def act() -> None:
            steps = [
                ("create", "configmap", "watched", "--from-literal=a=1", "-n", namespace),
                ("label", "configmap", "watched", "x=y", "-n", namespace),
                ("delete", "configmap", "watched", "-n", namespace),
            ]
            for argv in steps:
                await asyncio.to_thread(kubectl, *argv)

        async def collect() -> None:
            stream = kube.watch(path, resource_version=start.resource_version, timeout_seconds=5)
            async with contextlib.aclosing(stream) as it:
                async for ev in it:
                    events.append(ev)

        await asyncio.gather(collect(), act())
        return events

    events = run(kubeconfig, body)
    named = [(e.type, e.object["metadata"].get("name")) for e in events if e.type != "BOOKMARK"]
    # (the controller-manager may publish kube-root-ca.crt into a new namespace meanwhile)
    ours = [pair for pair in named if pair[1] == "watched"]
    assert ours == [("ADDED", "watched"), ("MODIFIED", "watched"), ("DELETED", "watched")]
    bookmarks = [e for e in events if e.type == "BOOKMARK"]
    assert bookmarks, "the server sends a bookmark before closing a watch that asked for them"
    assert bookmarks[-1].object["metadata"]["resourceVersion"]


def test_exec_plugin_kubeconfig(cluster: LocalCluster, tmp_path: Path) -> None:
    pki = cluster.workdir / "pki"
    cred = {
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": {
            "clientCertificateData": (pki / "admin.crt").read_text(),
            "clientKeyData": (pki / "admin.key").read_text(),
            "expirationTimestamp": "2999-01-01T00:00:00Z",
        },
    }
    (tmp_path / "cred.json").write_bytes(orjson.dumps(cred))
    plugin = tmp_path / "plugin.py"
    plugin.write_text(
        textwrap.dedent(
            """
            import os, pathlib, sys
            assert os.environ["KUBERNETES_EXEC_INFO"]
            assert os.environ["PLUGIN_FLAG"] == "on"
            sys.stdout.write(pathlib.Path(sys.argv[1]).read_text())
            """
        )
    )
    ca = base64.b64encode((pki / "ca.crt").read_bytes()).decode()
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "exec",
        "clusters": [
            {"name": "c", "cluster": {"server": cluster.server, "certificate-authority-data": ca}}
        ],
        "users": [
            {
                "name": "u",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1",
                        "command": sys.executable,
                        "args": [str(plugin), str(tmp_path / "cred.json")],
                        "env": [{"name": "PLUGIN_FLAG", "value": "on"}],
                    }
                },
            }
        ],
        "contexts": [{"name": "exec", "context": {"cluster": "c", "user": "u"}}],
    }
    path = tmp_path / "kubeconfig"
    path.write_bytes(orjson.dumps(config))

    async def main() -> str:
        async with KubeClient(load_kubeconfig(path)) as kube:
            started = time.monotonic()
            ns = await kube.get("/api/v1/namespaces/default")
            await kube.get("/api/v1/namespaces/kube-system")
            assert time.monotonic() - started < 30
            return str(ns["metadata"]["name"])

    assert asyncio.run(main()) == "default"
