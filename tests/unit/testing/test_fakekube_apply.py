"""The real Writer (server-side and client-side apply, create, replace, patch, delete) on
FakeKube: actions, field ownership, conflicts, dry runs."""

from __future__ import annotations

import copy

import pytest

from kapstan.kube.apply import JSON_PATCH, LAST_APPLIED, Action
from kapstan.kube.client import KubeClient
from kapstan.kube.errors import Conflict, Invalid, KubeError
from kapstan.testing import FakeKube
from tests.unit.testing.helpers import configmap, deployment, managers, run, writer

CM = "/api/v1/namespaces/default/configmaps"


def test_apply_created_unchanged_configured() -> None:
    fake = FakeKube()

    async def body(kube: KubeClient) -> None:
        w = writer(kube)
        first = await w.apply(configmap("a", k="1"))
        assert first.action is Action.created
        again = await w.apply(configmap("a", k="1"))
        assert again.action is Action.unchanged
        assert again.live is not None
        assert first.live is not None
        rv = first.live["metadata"]["resourceVersion"]
        assert again.live["metadata"]["resourceVersion"] == rv
        changed = await w.apply(configmap("a", k="2"))
        assert changed.action is Action.configured
        assert changed.live is not None
        assert managers(changed.live) == {("kapstan-controller", "Apply"): {"f:data": {"f:k": {}}}}

    run(fake, body)
    assert fake.get_object("ConfigMap", "a", "default")["data"] == {"k": "2"}


def test_second_manager_conflicts_unless_forced() -> None:
    fake = FakeKube()

    async def body(kube: KubeClient) -> None:
        await writer(kube).apply(configmap("a", k="1", mine="x"))
        other = writer(kube, "other-tool")
        # The same value is shared ownership, not a conflict.
        shared = await other.apply(configmap("a", k="1"))
        assert shared.live is not None
        assert managers(shared.live)[("other-tool", "Apply")] == {"f:data": {"f:k": {}}}
        with pytest.raises(Conflict) as err:
            await other.apply(configmap("a", k="2"))
        assert [(c.reason, c.field) for c in err.value.causes] == [
            ("FieldManagerConflict", ".data.k")
        ]
        assert 'conflict with "kapstan-controller"' in str(err.value)
        forced = await other.apply(configmap("a", k="2"), force=True)
        assert forced.action is Action.configured
        assert forced.live is not None
        owned = managers(forced.live)
        assert owned[("other-tool", "Apply")] == {"f:data": {"f:k": {}}}
        assert owned[("kapstan-controller", "Apply")] == {"f:data": {"f:mine": {}}}

    run(fake, body)


def test_another_writer_takes_ownership() -> None:
    fake = FakeKube()

    async def body(kube: KubeClient) -> None:
        w = writer(kube)
        await w.apply(deployment("web"))
        fake.edit("Deployment", "web", "default", change={"spec": {"replicas": 5}})
        live = await kube.get("/apis/apps/v1/namespaces/default/deployments/web")
        assert live["metadata"]["generation"] == 2
        owned = managers(live)
        assert owned[("kubectl", "Update")] == {"f:spec": {"f:replicas": {}}}
        assert "f:replicas" not in owned[("kapstan-controller", "Apply")]["f:spec"]
        with pytest.raises(Conflict) as err:
            await w.apply(deployment("web"))
        assert 'conflict with "kubectl"' in str(err.value)
        assert (await w.apply(deployment("web"), force=True)).action is Action.configured

    run(fake, body)
    assert fake.get_object("Deployment", "web", "default")["spec"]["replicas"] == 1


def test_fields_no_longer_applied_are_removed_unless_shared() -> None:
    fake = FakeKube()

    async def body(kube: KubeClient) -> None:
        w, other = writer(kube), writer(kube, "other-tool")
        await w.apply(configmap("a", gone="1", shared="2", kept="3"))
        await other.apply(configmap("a", shared="2"))
        after = await w.apply(configmap("a", kept="3"))
        assert after.live is not None
        assert after.live["data"] == {"shared": "2", "kept": "3"}

    run(fake, body)


def test_removed_list_items_and_emptied_maps_go() -> None:
    fake = FakeKube()
    full = deployment("web")
    full["metadata"]["labels"] = {"a": "1"}
    containers = full["spec"]["template"]["spec"]["containers"]
    containers.append({"name": "side", "image": "b", "ports": [{"containerPort": 80}]})
    slim = copy.deepcopy(full)
    del slim["metadata"]["labels"]
    slim["spec"]["template"]["spec"]["containers"].pop()

    async def body(kube: KubeClient) -> None:
        w = writer(kube)
        await w.apply(full)
        after = await w.apply(slim)
        assert after.action is Action.configured
        assert after.live is not None
        assert after.live["spec"]["template"]["spec"]["containers"] == [
            {"name": "main", "image": "nginx:1"}
        ]
        assert "labels" not in after.live["metadata"]
        assert after.live["metadata"]["generation"] == 2
        assert (await w.apply(slim)).action is Action.unchanged

    run(fake, body)


def test_keyed_lists_merge_between_managers() -> None:
    fake = FakeKube()

    async def body(kube: KubeClient) -> None:
        await writer(kube).apply(deployment("web"))
        sidecar = copy.deepcopy(deployment("web"))
        del sidecar["spec"]["replicas"], sidecar["spec"]["selector"]
        del sidecar["spec"]["template"]["metadata"]
        sidecar["spec"]["template"]["spec"]["containers"] = [{"name": "proxy", "image": "envoy"}]
        after = await writer(kube, "injector").apply(sidecar)
        assert after.live is not None
        containers = after.live["spec"]["template"]["spec"]["containers"]
        assert [c["name"] for c in containers] == ["main", "proxy"]
        fields = managers(after.live)[("injector", "Apply")]
        item = fields["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"proxy"}']
        assert item == {".": {}, "f:image": {}, "f:name": {}}

    run(fake, body)


def test_dry_run_changes_nothing() -> None:
    fake = FakeKube()
    fake.put(configmap("a", k="1"))
    rv = fake.resource_version

    async def body(kube: KubeClient) -> None:
        w = writer(kube)
        configured = await w.apply(configmap("a", k="2"), dry_run=True)
        assert configured.action is Action.configured
        assert configured.live is not None
        assert configured.live["data"] == {"k": "2"}
        same = await w.apply(configmap("a", k="1"), dry_run=True)
        # Only managedFields differ (the fake's seed has no manager): same object otherwise.
        assert same.action is Action.unchanged
        created = await w.apply(configmap("new", k="1"), dry_run=True)
        assert created.action is Action.created
        await w.client_side_apply(configmap("csa", k="1"), dry_run=True)
        await w.delete(configmap("a"), dry_run=True)

    run(fake, body)
    assert fake.resource_version == rv
    assert [o["metadata"]["name"] for o in fake.objects("ConfigMap")] == ["a"]
    assert fake.get_object("ConfigMap", "a", "default")["data"] == {"k": "1"}


def test_client_side_apply_with_last_applied() -> None:
    fake = FakeKube()

    async def body(kube: KubeClient) -> None:
        w = writer(kube)
        created = await w.client_side_apply(configmap("a", x="1", y="2"))
        assert created.action is Action.created
        assert created.live is not None
        assert LAST_APPLIED in created.live["metadata"]["annotations"]
        assert (await w.client_side_apply(configmap("a", x="1", y="2"))).action is Action.unchanged
        changed = await w.client_side_apply(configmap("a", x="1"))
        assert changed.action is Action.configured
        assert changed.live is not None
        assert changed.live["data"] == {"x": "1"}
        # The create was an Update by the client's User-Agent ("kapstan").
        assert ("kapstan", "Update") in managers(changed.live)

    run(fake, body)


def test_create_replace_patch_delete() -> None:
    fake = FakeKube()

    async def body(kube: KubeClient) -> None:
        w = writer(kube)
        assert (await w.create(configmap("a", k="1"))).action is Action.created
        with pytest.raises(Conflict):
            await w.create(configmap("a"))
        assert (await w.replace(configmap("a", k="2"))).action is Action.configured
        assert (await w.replace(configmap("a", k="2"))).action is Action.unchanged
        stale = configmap("a", k="3")
        stale["metadata"]["resourceVersion"] = "1"
        with pytest.raises(Conflict):
            await w.replace(stale)
        ops = [{"op": "test", "path": "/data/k", "value": "9"}]
        with pytest.raises(Invalid):
            await w.patch(configmap("a"), ops, content_type=JSON_PATCH)
        ops = [{"op": "replace", "path": "/data/k", "value": "4"}]
        patched = await w.patch(configmap("a"), ops, content_type=JSON_PATCH)
        assert patched.action is Action.configured
        assert (await w.delete(configmap("a"))).action is Action.deleted
        assert (await w.delete(configmap("a"))).action is Action.skipped

    run(fake, body)


def test_apply_validation() -> None:
    async def body(kube: KubeClient) -> None:
        w = writer(kube)
        bogus = {**configmap("a"), "bogus": 1}
        with pytest.raises(Invalid) as err:
            await w.apply(bogus, strict=True)
        assert err.value.fields == ("bogus",)
        applied = await w.apply(bogus)  # default: warn and drop
        assert applied.live is not None
        assert "bogus" not in applied.live
        with pytest.raises(KubeError) as missing:
            await kube.request(
                "PATCH", f"{CM}/a", None, configmap("a"), "application/apply-patch+yaml"
            )
        assert missing.value.code == 400  # fieldManager is required

    run(FakeKube(), body)


def test_status_subresource_apply() -> None:
    fake = FakeKube()

    async def body(kube: KubeClient) -> None:
        w = writer(kube)
        await w.apply({**deployment("web"), "status": {"replicas": 3}})
        path = "/apis/apps/v1/namespaces/default/deployments/web/status"
        status = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                  "status": {"readyReplicas": 1}}  # fmt: skip
        params = {"fieldManager": "kube-controller-manager"}
        after = await kube.request("PATCH", path, params, status, "application/apply-patch+yaml")
        assert after["status"] == {"readyReplicas": 1}
        entries = after["metadata"]["managedFields"]
        assert {(e["manager"], e.get("subresource", "")) for e in entries} == {
            ("kapstan-controller", ""),
            ("kube-controller-manager", "status"),
        }

    run(fake, body)
