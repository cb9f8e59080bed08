"""FakeKube's test hooks: seeding, inspection, another writer, request log, injected faults."""

from __future__ import annotations

import pytest

from kapstan.cache.cluster import watchable_kinds
from kapstan.cache.filters import ResourceFilter
from kapstan.kube.client import KubeClient
from kapstan.kube.discovery import Discovery
from kapstan.kube.errors import Conflict, NotFound, ServerError
from kapstan.kube.ratelimit import RetryPolicy
from kapstan.testing import FakeKube
from tests.unit.testing.helpers import configmap, managers, run, writer

CMS = "/api/v1/namespaces/default/configmaps"


def test_put_objects_and_get_object_return_copies() -> None:
    fake = FakeKube()
    stored = fake.put({**configmap("a", "fresh"), "status": {"kept": True}})
    assert stored["metadata"]["uid"]
    assert stored["metadata"]["resourceVersion"]
    assert stored["status"] == {"kept": True}  # a backdoor: stored as given
    assert fake.get_object("Namespace", "fresh") is not None  # created on demand
    stored["data"]["x"] = "changed"
    assert fake.get_object("ConfigMap", "a", "fresh")["data"] == {}
    assert [o["metadata"]["name"] for o in fake.objects(namespace="fresh")] == ["a"]
    assert fake.get_object("ConfigMap", "missing", "fresh") is None
    # Replacing keeps the identity.
    again = fake.put(configmap("a", "fresh", k="v"))
    assert again["metadata"]["uid"] == stored["metadata"]["uid"]
    with pytest.raises(LookupError):
        fake.get_object("Nonsense", "a")
    assert fake.objects("Event", group="events.k8s.io") == []


def test_edit_is_an_update_by_another_manager() -> None:
    fake = FakeKube()
    fake.put(configmap("a", k="1"))

    def change(obj: dict[str, object]) -> None:
        obj["data"] = {"k": "2", "new": "3"}

    after = fake.edit("ConfigMap", "a", "default", change=change)
    assert after["data"] == {"k": "2", "new": "3"}
    assert managers(after) == {("kubectl", "Update"): {"f:data": {"f:k": {}, "f:new": {}}}}
    with pytest.raises(NotFound):
        fake.edit("ConfigMap", "ghost", "default", change={})


def test_request_log_counts_api_calls() -> None:
    fake = FakeKube()

    async def body(kube: KubeClient) -> None:
        w = writer(kube)
        await w.apply(configmap("a", k="1"))  # discovery (2), GET, PATCH
        await w.apply(configmap("b", k="1"))  # GET, PATCH (discovery is cached)

    run(fake, body)
    assert [(r.method, r.path) for r in fake.requests] == [
        ("GET", "/api"),
        ("GET", "/apis"),
        ("GET", f"{CMS}/a"),
        ("PATCH", f"{CMS}/a"),
        ("GET", f"{CMS}/b"),
        ("PATCH", f"{CMS}/b"),
    ]
    patch = fake.requests[3]
    assert patch.params == {"fieldManager": "kapstan-controller", "force": "false"}
    assert patch.content_type == "application/apply-patch+yaml"
    assert (fake.requests[2].code, patch.code) == (404, 201)
    assert fake.count("PATCH") == 2
    assert fake.count("GET", f"{CMS}/b") == 1
    fake.clear_requests()
    assert fake.requests == []


def test_injected_faults() -> None:
    fake = FakeKube()
    fake.put(configmap("a"))
    slept: list[float] = []

    async def no_sleep(seconds: float) -> None:
        slept.append(seconds)

    async def body(kube: KubeClient) -> None:
        fake.fail(f"{CMS}/*", 503, times=2)
        assert (await kube.get(f"{CMS}/a"))["metadata"]["name"] == "a"  # retried twice
        fake.fail(f"{CMS}/a", 429, retry_after=2)
        await kube.get(f"{CMS}/a")
        fake.fail(f"{CMS}/a", 409, method="PUT")
        await kube.get(f"{CMS}/a")  # not a PUT: untouched
        with pytest.raises(Conflict):
            await kube.request("PUT", f"{CMS}/a", body=configmap("a"))
        fake.fail(f"{CMS}/a", 500, times=5)
        with pytest.raises(ServerError):
            await kube.get(f"{CMS}/a")  # a 500 without Retry-After is not retried

    run(fake, body, sleep=no_sleep, retry=RetryPolicy(max_attempts=3))
    assert [r.code for r in fake.requests] == [503, 503, 200, 429, 200, 200, 409, 500]
    assert slept[2] == 2.0  # Retry-After honoured


def test_registered_kinds_and_verbs() -> None:
    fake = FakeKube()
    fake.register("example.com", "v1", "Widget", "widgets", short_names=["wd"])
    fake.register("example.com", "v1", "Report", "reports", verbs=["get", "create"])

    async def body(kube: KubeClient) -> None:
        model = await Discovery(kube).refresh()
        kinds = watchable_kinds(model, ResourceFilter())
        assert ("example.com", "Widget") in kinds
        assert ("example.com", "Report") not in kinds  # not listable: the cache skips it

    run(fake, body)
    assert {k.kind for k in fake.kinds if k.group == "example.com"} == {"Widget", "Report"}
