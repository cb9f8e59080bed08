"""Discovery (the real kapstan.kube.discovery.Discovery) against FakeKube."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kapstan.kube.client import KubeClient
from kapstan.kube.discovery import Discovery, DiscoveryModel, UnknownKind
from kapstan.kube.errors import NotFound
from kapstan.testing import FakeKube
from kapstan.testing.builders import open_crd
from tests.unit.testing.helpers import run

CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"


def served(model: DiscoveryModel) -> set[tuple[str, str, str, str, bool]]:
    return {(r.group, r.version, r.kind, r.resource, r.namespaced) for r in model.resources}


@pytest.mark.parametrize(
    ("group", "kind", "resource", "namespaced"),
    [
        ("", "Namespace", "namespaces", False),
        ("", "ConfigMap", "configmaps", True),
        ("apps", "Deployment", "deployments", True),
        ("batch", "CronJob", "cronjobs", True),
        ("rbac.authorization.k8s.io", "ClusterRole", "clusterroles", False),
        ("apiextensions.k8s.io", "CustomResourceDefinition", "customresourcedefinitions", False),
        ("coordination.k8s.io", "Lease", "leases", True),
    ],
)
def test_aggregated_discovery_finds_builtin_kinds(
    group: str, kind: str, resource: str, namespaced: bool
) -> None:
    fake = FakeKube()

    async def body(kube: KubeClient) -> None:
        info = await Discovery(kube).lookup(group, kind)
        assert (info.resource, info.namespaced) == (resource, namespaced)
        assert {"list", "watch", "patch"} <= info.verbs

    run(fake, body)
    # Aggregated discovery is two requests, whatever the number of groups.
    assert [r.path for r in fake.requests] == ["/api", "/apis"]


def test_legacy_fallback_gives_the_same_model() -> None:
    async def body(kube: KubeClient) -> DiscoveryModel:
        return await Discovery(kube).refresh()

    aggregated = run(FakeKube(), body)
    old = FakeKube(aggregated_discovery=False)
    legacy = run(old, body)
    assert served(legacy) == served(aggregated)
    assert legacy.preferred == aggregated.preferred
    assert "/apis/apps/v1" in {r.path for r in old.requests}
    # Sub-resources are listed in legacy documents but are not kinds of their own.
    assert not any("/" in r.resource for r in legacy.resources)


def test_crd_created_through_the_api_is_served() -> None:
    fake = FakeKube()
    crd = open_crd("example.com", "Widget", "widgets")
    cluster_crd = copy.deepcopy(open_crd("example.com", "Gadget", "gadgets"))
    cluster_crd["spec"]["scope"] = "Cluster"

    async def body(kube: KubeClient) -> None:
        discovery = Discovery(kube)
        with pytest.raises(UnknownKind):
            await discovery.lookup("example.com", "Widget")
        created = await kube.request("POST", CRDS, body=crd)
        conditions = {c["type"]: c["status"] for c in created["status"]["conditions"]}
        assert conditions == {"NamesAccepted": "True", "Established": "True"}
        await kube.request("POST", CRDS, body=cluster_crd)
        widget = await discovery.lookup("example.com", "Widget", wait=1.0)
        assert (widget.resource, widget.namespaced, widget.version) == ("widgets", True, "v1")
        assert not await discovery.is_namespaced("example.com", "Gadget")
        # Instances can be written and read at once.
        path = widget.path("default", "w1")
        instance = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w1"}}
        await kube.request("POST", widget.path("default"), body=instance)
        got = await kube.get(path)
        assert (got["kind"], got["metadata"]["generation"]) == ("Widget", 1)

        await kube.request("DELETE", f"{CRDS}/widgets.example.com")
        discovery.invalidate()
        with pytest.raises(UnknownKind):
            await discovery.lookup("example.com", "Widget")
        with pytest.raises(NotFound):
            await kube.get(path)

    run(fake, body)
    assert fake.objects("Widget") == []


def test_versions_are_listed_preferred_first() -> None:
    fake = FakeKube()
    crd: dict[str, Any] = open_crd("example.com", "Widget", "widgets")
    v1 = crd["spec"]["versions"][0]
    crd["spec"]["versions"] = [
        {**v1, "name": "v1beta1", "storage": False},
        {**v1, "name": "v1alpha1", "storage": False},
        v1,
    ]
    fake.put(crd)
    fake.register("other.io", "v2beta1", "Thing", "things", namespaced=False)
    fake.register("other.io", "v1", "Thing", "things", namespaced=False)

    async def body(kube: KubeClient) -> None:
        model = await Discovery(kube).refresh()
        assert model.preferred["example.com"] == "v1"
        assert model.preferred["other.io"] == "v1"
        versions = {r.version for r in model.resources if r.kind == "Widget"}
        assert versions == {"v1", "v1beta1", "v1alpha1"}
        # Every version serves the same object (no conversion).
        await kube.request(
            "POST",
            "/apis/example.com/v1beta1/namespaces/default/widgets",
            body={"apiVersion": "example.com/v1beta1", "kind": "Widget", "metadata": {"name": "a"}},
        )
        got = await kube.get("/apis/example.com/v1/namespaces/default/widgets/a")
        assert got["apiVersion"] == "example.com/v1"

    run(fake, body)


def test_unknown_paths_are_404() -> None:
    async def body(kube: KubeClient) -> None:
        for path in ("/apis/nope.io/v1", "/apis/apps/v9/deployments", "/api/v1/nothings"):
            with pytest.raises(NotFound) as err:
                await kube.get(path)
            assert err.value.status["message"] == "the server could not find the requested resource"

    run(FakeKube(), body)
