"""``GET/POST/DELETE /api/v1/applications/{name}/resource``: one live resource of an app."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import orjson
import pytest

from kapstan.model.vocabulary import LAST_APPLIED
from kapstan.services.snapshots import InMemorySnapshots
from kapstan.testing.api import ApiHarness, api_on, bearer
from kapstan.testing.fakekube import FakeKube
from kapstan.testing.fakes import install_into, until
from tests.unit.api.conftest import NS, app
from tests.unit.api.resources import (
    APP_NS,
    RESOURCE,
    Body,
    deployment,
    publish,
    query,
    secret,
    serve,
)


def run(body: Body, *objects: dict[str, Any], cm: dict[str, str] | None = None) -> None:
    serve(body, objects, cm=cm)


def test_get_returns_the_live_object_as_json_text() -> None:
    async def body(api: ApiHarness, stored: list[dict[str, Any]]) -> None:
        resp = await api.http.get(RESOURCE, params=query(stored[0]), headers=bearer("admin"))
        assert resp.status_code == 200, resp.text
        manifest = resp.json()["manifest"]
        live = api.fake.get_object("Deployment", "web", APP_NS, group="apps")
        assert json.loads(manifest) == live
        assert manifest == orjson.dumps(live, option=orjson.OPT_SORT_KEYS).decode()

    run(body, deployment())


def test_secret_values_are_masked_as_argo_cd_masks_them() -> None:
    value = base64.b64encode(b"hunter2").decode()
    applied = {"apiVersion": "v1", "kind": "Secret", "stringData": {"password": "hunter2"}}
    obj = secret(password=value, token=base64.b64encode(b"t").decode())
    obj["metadata"]["annotations"] = {LAST_APPLIED: json.dumps(applied), "vault/path": "s3cr3t"}

    async def body(api: ApiHarness, stored: list[dict[str, Any]]) -> None:
        resp = await api.http.get(RESOURCE, params=query(stored[0]), headers=bearer("admin"))
        assert resp.status_code == 200, resp.text
        text = resp.json()["manifest"]
        for secret_text in ("hunter2", value, "s3cr3t"):
            assert secret_text not in text
        shown = json.loads(text)
        assert shown["data"] == {"password": "++++++++", "token": "++++++++"}
        last = json.loads(shown["metadata"]["annotations"][LAST_APPLIED])
        assert last["data"] == {"password": "++++++++"}  # the same value: the same mask
        assert shown["metadata"]["annotations"]["vault/path"] == "++++++++"

    run(body, obj, cm={"resource.sensitive.mask.annotations": "vault/path"})


def test_a_resource_outside_the_tree_is_argo_cds_invalid_argument() -> None:
    async def body(api: ApiHarness, stored: list[dict[str, Any]]) -> None:
        api.fake.put(deployment("other"))
        resp = await api.http.get(
            RESOURCE, params=query(deployment("other")), headers=bearer("admin")
        )
        assert resp.status_code == 400
        assert resp.json()["code"] == 3
        assert resp.json()["message"] == (
            "Deployment apps other not found as part of application guestbook"
        )

    run(body, deployment())


def test_patch_writes_the_patch_and_records_who_did_it() -> None:
    async def body(api: ApiHarness, stored: list[dict[str, Any]]) -> None:
        patch = json.dumps({"spec": {"replicas": 5}})
        resp = await api.http.post(
            RESOURCE,
            params=query(stored[0], patchType="application/merge-patch+json"),
            content=json.dumps(patch),
            headers=bearer("admin"),
        )
        assert resp.status_code == 200, resp.text
        assert json.loads(resp.json()["manifest"])["spec"]["replicas"] == 5
        assert (
            api.fake.get_object("Deployment", "web", APP_NS, group="apps")["spec"]["replicas"] == 5
        )
        events = api.fake.objects("Event", group="", namespace=NS)
        assert [e["message"] for e in events] == ["admin patched resource apps/Deployment 'web'"]
        assert events[0]["reason"] == "ResourceUpdated"

    run(body, deployment())


@pytest.mark.parametrize(
    ("patch_type", "patch"),
    [
        ("json", [{"op": "replace", "path": "/spec/replicas", "value": 7}]),
        ("merge", {"spec": {"replicas": 7}}),
        ("strategic", {"spec": {"replicas": 7}}),
        ("", {"spec": {"replicas": 7}}),
    ],
)
def test_patch_types_and_a_bare_json_body(patch_type: str, patch: Any) -> None:
    async def body(api: ApiHarness, stored: list[dict[str, Any]]) -> None:
        resp = await api.http.post(
            RESOURCE,
            params=query(stored[0], patchType=patch_type),
            content=json.dumps(patch),
            headers=bearer("admin"),
        )
        assert resp.status_code == 200, resp.text
        assert (
            api.fake.get_object("Deployment", "web", APP_NS, group="apps")["spec"]["replicas"] == 7
        )

    run(body, deployment())


def test_patch_refuses_an_unknown_type_and_a_non_json_body() -> None:
    async def body(api: ApiHarness, stored: list[dict[str, Any]]) -> None:
        bad_type = await api.http.post(
            RESOURCE,
            params=query(stored[0], patchType="yaml"),
            content="{}",
            headers=bearer("admin"),
        )
        assert bad_type.status_code == 400
        assert bad_type.json()["code"] == 3
        bad_body = await api.http.post(
            RESOURCE, params=query(stored[0]), content="not json", headers=bearer("admin")
        )
        assert bad_body.status_code == 400

    run(body, deployment())


def test_a_failed_secret_patch_does_not_echo_the_server_message() -> None:
    async def body(api: ApiHarness, stored: list[dict[str, Any]]) -> None:
        patch = [{"op": "test", "path": "/data/password", "value": "c2VjcmV0"}]
        resp = await api.http.post(
            RESOURCE,
            params=query(stored[0], patchType="json"),
            content=json.dumps(json.dumps(patch)),
            headers=bearer("admin"),
        )
        assert resp.status_code == 500
        assert resp.json()["message"] == f"failed to patch Secret {APP_NS}/creds"

    run(body, secret(password="aHVudGVyMg=="))


@pytest.mark.parametrize(
    ("flags", "policy", "grace"),
    [
        ({}, "Foreground", None),
        ({"orphan": "true"}, "Orphan", None),
        ({"force": "true"}, "Background", 0),
    ],
)
def test_delete_propagation(flags: dict[str, str], policy: str, grace: int | None) -> None:
    async def body(api: ApiHarness, stored: list[dict[str, Any]]) -> None:
        resp = await api.http.delete(
            RESOURCE, params=query(stored[0], **flags), headers=bearer("admin")
        )
        assert resp.status_code == 200, resp.text
        assert resp.json() == {}
        assert api.fake.get_object("Deployment", "web", APP_NS, group="apps") is None
        sent = [r for r in api.fake.requests if r.method == "DELETE"]
        options = json.loads(sent[-1].body)
        assert options["propagationPolicy"] == policy
        assert options.get("gracePeriodSeconds") == grace
        events = api.fake.objects("Event", group="", namespace=NS)
        assert events[-1]["message"] == "admin deleted resource apps/Deployment 'web'"

    run(body, deployment())


def test_a_resource_on_a_cluster_of_a_cluster_secret() -> None:
    remote_server = "https://prod.example:6443"

    async def main() -> None:
        fake, remote = FakeKube(namespaces=("default", NS)), FakeKube(namespaces=(APP_NS,))
        install_into(fake, NS)
        fields = {"server": remote_server, "name": "prod", "config": "{}"}
        fake.put(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {
                    "name": "prod",
                    "namespace": NS,
                    "labels": {"argocd.argoproj.io/secret-type": "cluster"},
                },
                "data": {k: base64.b64encode(v.encode()).decode() for k, v in fields.items()},
            }
        )
        fake.put(app("guestbook", destination={"name": "prod", "namespace": APP_NS}))
        web = remote.put(deployment())
        snapshots = InMemorySnapshots()
        await publish(snapshots, [web])
        async with api_on(fake, snapshots=snapshots, clusters={remote_server: remote}) as api:
            await until("the app is mirrored", lambda: api.ctx.mirror.app("guestbook"))
            resp = await api.http.get(RESOURCE, params=query(web), headers=bearer("admin"))
            assert resp.status_code == 200, resp.text
            assert json.loads(resp.json()["manifest"])["metadata"]["uid"] == web["metadata"]["uid"]
            assert fake.get_object("Deployment", "web", APP_NS, group="apps") is None

    asyncio.run(main())
