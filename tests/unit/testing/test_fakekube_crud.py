"""Create, read, update, list and delete through the real KubeClient against FakeKube."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.kube.client import KubeClient
from kapstan.kube.errors import Conflict, Forbidden, Gone, Invalid, KubeError, NotFound
from kapstan.testing import FakeKube
from tests.unit.testing.helpers import configmap, deployment, run

CMS = "/api/v1/namespaces/default/configmaps"
DEPLOYS = "/apis/apps/v1/namespaces/default/deployments"
SELECTORS = yaml.safe_load((Path(__file__).parent / "testdata" / "selectors.yaml").read_text())


def test_create_sets_server_fields_and_get_returns_them() -> None:
    fake = FakeKube()

    async def body(kube: KubeClient) -> None:
        created = await kube.request("POST", DEPLOYS, body=deployment("web"))
        meta = created["metadata"]
        assert meta["uid"]
        assert meta["creationTimestamp"].endswith("Z")
        assert meta["generation"] == 1
        assert int(meta["resourceVersion"]) > 0
        assert await kube.get(f"{DEPLOYS}/web") == created
        cm = await kube.request("POST", CMS, body=configmap("a", k="v"))
        assert "generation" not in cm["metadata"]  # ConfigMaps have none, as on a real server
        assert int(cm["metadata"]["resourceVersion"]) > int(meta["resourceVersion"])

    run(fake, body)


def test_already_exists_and_not_found() -> None:
    async def body(kube: KubeClient) -> None:
        await kube.request("POST", CMS, body=configmap("a"))
        with pytest.raises(Conflict) as err:
            await kube.request("POST", CMS, body=configmap("a"))
        assert err.value.reason == "AlreadyExists"
        assert err.value.status["details"] == {"name": "a", "kind": "configmaps"}
        with pytest.raises(NotFound) as missing:
            await kube.get(f"{DEPLOYS}/nope")
        assert missing.value.status["message"] == 'deployments.apps "nope" not found'
        with pytest.raises(NotFound):
            await kube.request(
                "POST", "/api/v1/namespaces/ghost/configmaps", body=configmap("a", "ghost")
            )

    run(FakeKube(), body)


def test_generate_name_and_validation() -> None:
    async def body(kube: KubeClient) -> None:
        obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "job-"}}
        names = {(await kube.request("POST", CMS, body=obj))["metadata"]["name"] for _ in "ab"}
        assert len(names) == 2
        assert all(n.startswith("job-") and len(n) == 9 for n in names)
        with pytest.raises(Invalid) as err:
            await kube.request("POST", CMS, body=configmap("Not_Valid"))
        assert err.value.fields == ("metadata.name",)
        bad_label = configmap("x")
        bad_label["metadata"]["labels"] = {"a": "has space"}
        with pytest.raises(Invalid):
            await kube.request("POST", CMS, body=bad_label)

    run(FakeKube(), body)


def test_stale_resource_version_is_a_conflict() -> None:
    async def body(kube: KubeClient) -> None:
        first = await kube.request("POST", CMS, body=configmap("a", k="1"))
        first["data"]["k"] = "2"
        second = await kube.request("PUT", f"{CMS}/a", body=first)
        assert second["metadata"]["resourceVersion"] != first["metadata"]["resourceVersion"]
        first["data"]["k"] = "3"  # still carries the old resourceVersion
        with pytest.raises(Conflict) as err:
            await kube.request("PUT", f"{CMS}/a", body=first)
        assert err.value.reason == "Conflict"
        assert "the object has been modified" in str(err.value)
        # A merge patch that carries a stale resourceVersion fails the same way.
        stale = {"metadata": {"resourceVersion": first["metadata"]["resourceVersion"]}}
        with pytest.raises(Conflict):
            await kube.request("PATCH", f"{CMS}/a", None, stale, "application/merge-patch+json")

    run(FakeKube(), body)


def test_custom_resource_update_needs_a_resource_version() -> None:
    fake = FakeKube()
    fake.register("example.com", "v1", "Widget", "widgets")
    path = "/apis/example.com/v1/namespaces/default/widgets"
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}

    async def body(kube: KubeClient) -> None:
        await kube.request("POST", path, body=widget)
        with pytest.raises(Invalid) as err:
            await kube.request("PUT", f"{path}/w", body=widget)
        assert err.value.fields == ("metadata.resourceVersion",)

    run(fake, body)


def test_generation_and_no_op_updates() -> None:
    async def body(kube: KubeClient) -> None:
        live = await kube.request("POST", DEPLOYS, body=deployment("web"))
        same = await kube.request("PUT", f"{DEPLOYS}/web", body=live)
        assert same["metadata"]["resourceVersion"] == live["metadata"]["resourceVersion"]
        live["metadata"]["labels"] = {"x": "y"}
        labelled = await kube.request("PUT", f"{DEPLOYS}/web", body=live)
        assert labelled["metadata"]["generation"] == 1  # metadata is not spec
        labelled["spec"]["replicas"] = 3
        scaled = await kube.request("PUT", f"{DEPLOYS}/web", body=labelled)
        assert scaled["metadata"]["generation"] == 2

    fake = FakeKube()
    run(fake, body)
    assert fake.get_object("Deployment", "web", "default")["metadata"]["generation"] == 2


def test_status_subresource() -> None:
    fake = FakeKube()
    fake.register("example.com", "v1", "Plain", "plains")  # no status subresource

    async def body(kube: KubeClient) -> None:
        created = await kube.request(
            "POST", DEPLOYS, body={**deployment("web"), "status": {"replicas": 9}}
        )
        assert "status" not in created  # dropped on create
        with_status = {**created, "status": {"readyReplicas": 1}}
        after = await kube.request("PUT", f"{DEPLOYS}/web/status", body=with_status)
        assert after["status"] == {"readyReplicas": 1}
        assert after["metadata"]["generation"] == 1
        # The main resource ignores status; the status subresource ignores everything else.
        after["spec"]["replicas"] = 5
        after["status"] = {"readyReplicas": 7}
        main = await kube.request("PUT", f"{DEPLOYS}/web", body=after)
        assert (main["spec"]["replicas"], main["status"]) == (5, {"readyReplicas": 1})
        main["spec"]["replicas"] = 1
        main["status"] = {"readyReplicas": 2}
        sub = await kube.request("PUT", f"{DEPLOYS}/web/status", body=main)
        assert (sub["spec"]["replicas"], sub["status"]) == (5, {"readyReplicas": 2})
        # Without a status subresource, status is an ordinary field (and /status is 404).
        path = "/apis/example.com/v1/namespaces/default/plains"
        plain = {"apiVersion": "example.com/v1", "kind": "Plain", "metadata": {"name": "p"}}
        made = await kube.request("POST", path, body={**plain, "status": {"ok": True}})
        assert made["status"] == {"ok": True}
        with pytest.raises(NotFound):
            await kube.request("PUT", f"{path}/p/status", body=made)

    run(fake, body)


def test_list_paging() -> None:
    fake = FakeKube()
    for i in range(7):
        fake.put(configmap(f"cm-{i}"))
    fake.put(configmap("elsewhere", "other"))

    async def body(kube: KubeClient) -> None:
        page = await kube.get(CMS, {"limit": 3})
        assert [i["metadata"]["name"] for i in page["items"]] == ["cm-0", "cm-1", "cm-2"]
        assert page["metadata"]["remainingItemCount"] == 4
        assert "apiVersion" not in page["items"][0]  # built-in list items, as kube answers
        fake.clear_requests()
        result = await kube.list(CMS, limit=3)
        assert [i["metadata"]["name"] for i in result.items] == [f"cm-{i}" for i in range(7)]
        assert result.items[0]["kind"] == "ConfigMap"
        assert result.resource_version == fake.resource_version
        assert fake.count("GET", CMS) == 3
        everywhere = await kube.list("/api/v1/configmaps", limit=2)
        assert len(everywhere.items) == 8
        # A continue token older than the compacted history has expired.
        fake.put(configmap("late"))
        fake.expire_history()
        with pytest.raises(Gone):
            await kube.get(CMS, {"limit": 3, "continue": page["metadata"]["continue"]})

    run(fake, body)


@pytest.mark.parametrize("case", SELECTORS, ids=[c["name"] for c in SELECTORS])
def test_selectors(case: dict[str, Any]) -> None:
    fake = FakeKube()
    for ns, name, labels in [
        ("a", "web", {"app": "web", "tier": "front"}),
        ("a", "api", {"app": "api", "tier": "back"}),
        ("a", "db", {"app": "db"}),
        ("b", "web", {"app": "web", "tier": "front", "env": "prod"}),
    ]:
        obj = configmap(name, ns)
        obj["metadata"]["labels"] = labels
        fake.put(obj)
    ns = case.get("namespace")
    path = f"/api/v1/namespaces/{ns}/configmaps" if ns else "/api/v1/configmaps"

    async def body(kube: KubeClient) -> list[str]:
        result = await kube.list(path, case["params"])
        return [f"{i['metadata']['namespace']}/{i['metadata']['name']}" for i in result.items]

    if "code" in case:
        with pytest.raises(KubeError) as err:
            run(fake, body)
        assert err.value.code == case["code"]
    else:
        assert run(fake, body) == case["expect"]


def test_finalizers_hold_deletion() -> None:
    fake = FakeKube()
    obj = configmap("held")
    obj["metadata"]["finalizers"] = ["example.com/a", "example.com/b"]
    fake.put(obj)

    async def body(kube: KubeClient) -> None:
        kept = await kube.request("DELETE", f"{CMS}/held")
        assert kept["metadata"]["deletionTimestamp"]
        live = await kube.get(f"{CMS}/held")
        assert live["metadata"]["finalizers"] == ["example.com/a", "example.com/b"]
        more = {"metadata": {"finalizers": ["example.com/a", "example.com/b", "x.io/c"]}}
        with pytest.raises(Invalid):
            await kube.request("PATCH", f"{CMS}/held", None, more, "application/merge-patch+json")
        # Test-and-replace, the way the controller releases its finalizer.
        release = [
            {"op": "test", "path": "/metadata/finalizers", "value": ["example.com/a", "x"]},
            {"op": "replace", "path": "/metadata/finalizers", "value": []},
        ]
        with pytest.raises(Invalid):
            await kube.request("PATCH", f"{CMS}/held", None, release, "application/json-patch+json")
        release[0]["value"] = live["metadata"]["finalizers"]
        await kube.request("PATCH", f"{CMS}/held", None, release, "application/json-patch+json")
        with pytest.raises(NotFound):
            await kube.get(f"{CMS}/held")

    run(fake, body)


def test_namespace_delete_cascades() -> None:
    fake = FakeKube()
    fake.put(configmap("a", "doomed"))
    fake.put(deployment("web", "doomed"))
    held = configmap("held", "doomed")
    held["metadata"]["finalizers"] = ["example.com/wait"]
    fake.put(held)
    fake.put(configmap("survivor", "default"))

    async def body(kube: KubeClient) -> None:
        answer = await kube.request("DELETE", "/api/v1/namespaces/doomed")
        assert answer["status"]["phase"] == "Terminating"
        ns = await kube.get("/api/v1/namespaces/doomed")
        assert ns["metadata"]["deletionTimestamp"]
        left = await kube.list("/api/v1/namespaces/doomed/configmaps")
        assert [i["metadata"]["name"] for i in left.items] == ["held"]
        assert left.items[0]["metadata"]["deletionTimestamp"]
        assert not (await kube.list("/apis/apps/v1/namespaces/doomed/deployments")).items
        with pytest.raises(Forbidden):
            await kube.request(
                "POST", "/api/v1/namespaces/doomed/configmaps", body=configmap("n", "doomed")
            )
        # The last finalizer gone, the namespace goes too.
        patch = {"metadata": {"finalizers": None}}
        path = "/api/v1/namespaces/doomed/configmaps/held"
        await kube.request("PATCH", path, None, patch, "application/merge-patch+json")
        with pytest.raises(NotFound):
            await kube.get("/api/v1/namespaces/doomed")

    run(fake, body)
    assert [o["metadata"]["name"] for o in fake.objects("ConfigMap")] == ["survivor"]


@pytest.mark.parametrize(
    ("policy", "child_left"), [("Background", False), ("Foreground", False), ("Orphan", True)]
)
def test_owner_references_cascade(policy: str, child_left: bool) -> None:
    fake = FakeKube()
    owner = fake.put(deployment("web"))
    child = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": "web-1",
            "namespace": "default",
            "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                 "uid": owner["metadata"]["uid"]}
            ],
        },
    }  # fmt: skip
    fake.put(child)

    async def body(kube: KubeClient) -> None:
        options = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": policy}
        answer = await kube.request("DELETE", f"{DEPLOYS}/web", None, options)
        assert answer["kind"] == "Status"
        assert answer["status"] == "Success"

    run(fake, body)
    left = fake.get_object("ReplicaSet", "web-1", "default")
    assert (left is not None) == child_left
    if left is not None:
        assert "ownerReferences" not in left["metadata"]


def test_delete_preconditions_and_dry_run() -> None:
    fake = FakeKube()
    live = fake.put(configmap("a"))

    async def body(kube: KubeClient) -> None:
        stale = {"preconditions": {"resourceVersion": "1"}}
        with pytest.raises(Conflict):
            await kube.request("DELETE", f"{CMS}/a", None, stale)
        await kube.request("DELETE", f"{CMS}/a", None, {"dryRun": ["All"]})
        await kube.request("POST", CMS, {"dryRun": "All"}, configmap("b"))
        current = {"preconditions": {"uid": live["metadata"]["uid"]}}
        await kube.request("DELETE", f"{CMS}/a", None, current)

    rv = fake.resource_version
    run(fake, body)
    assert fake.objects("ConfigMap") == []
    assert int(fake.resource_version) == int(rv) + 1  # only the real delete was a write


def test_field_validation() -> None:
    bogus = {**configmap("a"), "bogus": 1}

    async def body(kube: KubeClient) -> None:
        with pytest.raises(Invalid) as err:
            await kube.request("POST", CMS, {"fieldValidation": "Strict"}, bogus)
        assert err.value.fields == ("bogus",)
        resp = await kube.send("POST", CMS, params={"fieldValidation": "Warn"}, body=bogus)
        assert resp.headers["Warning"] == '299 - "unknown field \\"bogus\\""'
        assert "bogus" not in resp.json()

    run(FakeKube(), body)
