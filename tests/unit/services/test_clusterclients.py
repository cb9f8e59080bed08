"""ClusterClients: destination clusters for the API, from cluster Secrets, without caches."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from kapstan.kube.client import KubeClient
from kapstan.kube.config import ClusterConfig
from kapstan.model.vocabulary import IN_CLUSTER_URL, SECRET_TYPE_CLUSTER, SECRET_TYPE_LABEL
from kapstan.services.clusterclients import ClusterClients
from kapstan.services.clusters import DestinationError
from kapstan.testing.fakekube import FakeKube, fake_client

NS = "argocd"
REMOTE = "https://remote.example:6443"


def cluster_secret(name: str, server: str, **extra: str) -> dict[str, Any]:
    fields = {"server": server, "name": name, "config": json.dumps({"bearerToken": "t0ken"})}
    fields.update(extra)
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": name,
            "namespace": NS,
            "labels": {SECRET_TYPE_LABEL: SECRET_TYPE_CLUSTER, "env": "prod"},
        },
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in fields.items()},
    }


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


Body = Callable[[ClusterClients, FakeKube, list[KubeClient], Clock], Awaitable[None]]


def run(body: Body) -> None:
    async def main() -> None:
        local, remote = FakeKube(namespaces=(NS,)), FakeKube()
        built: list[KubeClient] = []

        def connect(config: ClusterConfig) -> KubeClient:
            client = KubeClient(config, qps=0.0, transport=remote.transport())
            built.append(client)
            return client

        clock = Clock()
        async with fake_client(local) as kube:
            clients = ClusterClients(kube, NS, connect=connect, clock=clock, ttl=5.0)
            try:
                await body(clients, local, built, clock)
            finally:
                await clients.aclose()

    asyncio.run(main())


def test_the_in_cluster_destination_is_the_apis_own_client() -> None:
    async def body(
        clients: ClusterClients, local: FakeKube, built: list[KubeClient], _c: Clock
    ) -> None:
        for destination in ({"server": IN_CLUSTER_URL}, {"name": "in-cluster"}):
            found = await clients.resolve(destination)
            assert found.kube is clients.local.kube
            assert found.info == {"server": IN_CLUSTER_URL, "name": "in-cluster"}
        assert built == []
        assert local.count("GET", f"/api/v1/namespaces/{NS}/secrets") == 0

    run(body)


def test_a_secret_names_a_cluster_by_server_or_name() -> None:
    async def body(
        clients: ClusterClients, local: FakeKube, built: list[KubeClient], _c: Clock
    ) -> None:
        local.put(cluster_secret("prod", REMOTE, namespaces="a,b", project="team"))
        by_server = await clients.resolve({"server": REMOTE + "/", "namespace": "x"})
        by_name = await clients.resolve({"name": "prod"})
        assert by_server is by_name  # one client per Secret content
        assert by_server.server == REMOTE
        assert by_server.kube.config.token == "t0ken"
        assert by_server.info == {
            "server": REMOTE,
            "name": "prod",
            "namespaces": ["a", "b"],
            "project": "team",
            "labels": {"env": "prod"},
        }
        assert "t0ken" not in repr(by_server.info)
        assert len(built) == 1
        # The Secrets were listed once for both lookups (the TTL).
        assert local.count("GET", f"/api/v1/namespaces/{NS}/secrets") == 1

    run(body)


def test_unknown_destinations_in_argo_cds_words() -> None:
    async def body(clients: ClusterClients, _l: FakeKube, _b: list[KubeClient], _c: Clock) -> None:
        with pytest.raises(
            DestinationError, match="cluster 'https://nope' has not been configured"
        ):
            await clients.resolve({"server": "https://nope"})
        with pytest.raises(DestinationError, match="there are no clusters with this name: nope"):
            await clients.resolve({"name": "nope"})
        with pytest.raises(DestinationError, match="can't have both name and server"):
            await clients.resolve({"name": "a", "server": "https://b"})

    run(body)


def test_a_changed_secret_replaces_its_client_and_a_deleted_one_closes_it() -> None:
    async def body(
        clients: ClusterClients, local: FakeKube, built: list[KubeClient], clock: Clock
    ) -> None:
        local.put(cluster_secret("prod", REMOTE))
        first = await clients.resolve({"server": REMOTE})
        local.put(cluster_secret("prod", REMOTE, config=json.dumps({"bearerToken": "new"})))
        assert await clients.resolve({"server": REMOTE}) is first  # listed less than TTL ago
        clock.now = 10.0
        second = await clients.resolve({"server": REMOTE})
        assert second is not first
        assert second.kube.config.token == "new"
        assert first.kube._closed  # the old client is closed
        local.delete("Secret", "prod", NS)
        clock.now = 20.0
        with pytest.raises(DestinationError):
            await clients.resolve({"server": REMOTE})
        assert second.kube._closed

    run(body)


def test_a_bad_secret_is_skipped() -> None:
    async def body(
        clients: ClusterClients, local: FakeKube, _b: list[KubeClient], _c: Clock
    ) -> None:
        bad = cluster_secret("bad", REMOTE)
        bad["data"]["config"] = base64.b64encode(b"{not json").decode()
        local.put(bad)
        local.put(cluster_secret("good", "https://good.example"))
        with pytest.raises(DestinationError):
            await clients.resolve({"server": REMOTE})
        assert (await clients.resolve({"name": "good"})).server == "https://good.example"

    run(body)
