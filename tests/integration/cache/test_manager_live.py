"""Two real clusters registered through Argo CD cluster secrets, cached independently."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from kapstan.cache.manager import ClusterManager, Connection
from kapstan.kube.client import KubeClient
from kapstan.kube.config import from_argocd_cluster_secret, load_kubeconfig
from kapstan.kube.discovery import Discovery
from kapstan.localcluster import LocalCluster, Toolchain
from kapstan.localcluster.kubectl import Kubectl
from tests.integration.cache.conftest import eventually

pytestmark = pytest.mark.cluster


def connect(secret: Mapping[str, Any]) -> Connection:
    config = from_argocd_cluster_secret(secret)
    client = KubeClient(config)
    return Connection(config.server, config.name, client, Discovery(client))


def cluster_secret(name: str, ns: str, cluster: LocalCluster) -> dict[str, Any]:
    pki = cluster.workdir / "pki"

    def b64(file: str) -> str:
        return base64.b64encode((pki / file).read_bytes()).decode()

    config = {
        "tlsClientConfig": {
            "caData": b64("ca.crt"),
            "certData": b64("admin.crt"),
            "keyData": b64("admin.key"),
        }
    }
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": name,
            "namespace": ns,
            "labels": {"argocd.argoproj.io/secret-type": "cluster"},
        },
        "stringData": {"name": name, "server": cluster.server, "config": json.dumps(config)},
    }


def test_two_clusters_from_secrets(
    cluster: LocalCluster,
    kubeconfig: Path,
    kubectl: Kubectl,
    namespace: str,
    toolchain: Toolchain,
    tmp_path: Path,
) -> None:
    second = LocalCluster(tmp_path / "second", name="second", nodes=1, toolchain=toolchain)
    second.start()
    try:
        kubectl2 = Kubectl(second.kubeconfig, toolchain)
        for name, c in (("first", cluster), ("second", second)):
            kubectl("apply", "-f", "-", stdin=json.dumps(cluster_secret(name, namespace, c)))
        marker = f"m-{uuid.uuid4().hex[:6]}"
        kubectl2("create", "configmap", marker, "-n", "default")

        async def body() -> None:
            async with KubeClient(load_kubeconfig(kubeconfig)) as local:
                manager = ClusterManager(
                    Connection(cluster.server, "local", local, Discovery(local)),
                    connect,
                    namespace=namespace,
                    cache_local=False,
                )
                await manager.start()
                try:
                    await eventually(lambda: len(manager.clusters) == 2, 20, "two caches")
                    await manager.wait_synced(60)
                    first_cache = manager.cache(cluster.server)
                    second_cache = manager.cache(second.server)
                    assert first_cache is not None
                    assert second_cache is not None
                    key = ("", "ConfigMap", "default", marker)
                    assert key in second_cache.index
                    assert key not in first_cache.index
                    node = ("", "Node", "", "kwok-node-1")
                    assert node in first_cache.index  # the first cluster has two nodes
                    assert node not in second_cache.index
                    # A change in the first cluster only reaches the first cache.
                    await asyncio.to_thread(kubectl, "create", "configmap", marker, "-n", namespace)
                    ns_key = ("", "ConfigMap", namespace, marker)
                    await eventually(lambda: ns_key in first_cache.index, 5, "first cache")
                    assert ns_key not in second_cache.index
                    # Removing the secret tears the second cache down.
                    await asyncio.to_thread(kubectl, "delete", "secret", "second", "-n", namespace)
                    await eventually(
                        lambda: manager.cache(second.server) is None, 10, "second cache removed"
                    )
                    await eventually(lambda: not second_cache._tasks, 10, "watches stopped")
                finally:
                    await manager.stop()
                assert manager.clusters == {}

        asyncio.run(body())
    finally:
        second.destroy()
