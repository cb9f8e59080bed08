"""Client behaviour against httpx2.MockTransport: retries, Retry-After, paging, watch, auth."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import httpx2
import orjson
import pytest

from kapstan.kube.apply import merge_patch
from kapstan.kube.client import KubeClient, WatchEvent
from kapstan.kube.config import ClusterConfig
from kapstan.kube.discovery import parse_aggregated, parse_legacy_resource_list
from kapstan.kube.errors import Gone, Invalid, NotFound, ServerError, Timeout, TooManyRequests
from kapstan.kube.ratelimit import RetryPolicy, TokenBucket, parse_retry_after

Handler = Callable[[httpx2.Request], httpx2.Response]


def status(code: int, reason: str = "", message: str = "m") -> dict[str, Any]:
    return {"kind": "Status", "code": code, "reason": reason, "message": message}


def call(handler: Handler, body: Callable[[KubeClient], Any], **kw: Any) -> tuple[Any, list[float]]:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async def main() -> Any:
        cfg = ClusterConfig(server="https://kube.test", token="tok")
        async with KubeClient(
            cfg, transport=httpx2.MockTransport(handler), sleep=sleep, qps=0, **kw
        ) as kube:
            return await body(kube)

    return asyncio.run(main()), slept


def sequence(*responses: httpx2.Response | Exception) -> tuple[Handler, list[httpx2.Request]]:
    seen: list[httpx2.Request] = []
    queue = list(responses)

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    return handler, seen


def test_retry_after_is_honoured_then_success() -> None:
    handler, seen = sequence(
        httpx2.Response(429, json=status(429, "TooManyRequests"), headers={"Retry-After": "3"}),
        httpx2.Response(503, json=status(503)),
        httpx2.Response(200, json={"kind": "ConfigMap"}),
    )
    result, slept = call(handler, lambda k: k.get("/api/v1/x"))
    assert result == {"kind": "ConfigMap"}
    assert len(seen) == 3
    assert slept[0] == 3.0
    assert 0.2 <= slept[1] <= 0.4  # second retry: backoff ceiling 0.4 with equal jitter
    assert seen[0].headers["Authorization"] == "Bearer tok"


def test_retries_are_bounded() -> None:
    handler, seen = sequence(*[httpx2.Response(503, json=status(503)) for _ in range(3)])
    with pytest.raises(ServerError) as err:
        call(handler, lambda k: k.get("/api/v1/x"), retry=RetryPolicy(max_attempts=3))
    assert len(seen) == 3
    assert err.value.code == 503


def test_retry_after_capped() -> None:
    handler, _ = sequence(
        httpx2.Response(429, json=status(429), headers={"Retry-After": "999"}),
        httpx2.Response(200, json={}),
    )
    _, slept = call(handler, lambda k: k.get("/x"))
    assert slept == [10.0]
    handler, _ = sequence(*[httpx2.Response(429, json=status(429)) for _ in range(2)])
    with pytest.raises(TooManyRequests):
        call(handler, lambda k: k.get("/x"), retry=RetryPolicy(max_attempts=2))


def test_plain_500_and_post_503_policies() -> None:
    handler, seen = sequence(httpx2.Response(500, json=status(500)))
    with pytest.raises(ServerError):
        call(handler, lambda k: k.get("/x"))
    assert len(seen) == 1  # a 500 without Retry-After is not retried
    handler, seen = sequence(httpx2.Response(502, json=status(502)))
    with pytest.raises(ServerError):
        call(handler, lambda k: k.request("POST", "/x", body={}))
    assert len(seen) == 1  # a POST may have been applied: only 429/503 are safe to resend


def test_connection_errors_retried_then_timeout() -> None:
    handler, _ = sequence(
        httpx2.ConnectError("refused"),
        httpx2.Response(200, json={"ok": True}),
    )
    result, slept = call(handler, lambda k: k.get("/x"))
    assert result == {"ok": True}
    assert len(slept) == 1
    handler, _ = sequence(*[httpx2.ConnectError("refused") for _ in range(2)])
    with pytest.raises(Timeout, match="ConnectError after 2 attempt"):
        call(handler, lambda k: k.get("/x"), retry=RetryPolicy(max_attempts=2))


def test_error_body_is_mapped() -> None:
    handler, _ = sequence(httpx2.Response(404, json=status(404, "NotFound", "nope")))
    with pytest.raises(NotFound, match=r"GET /api/v1/x: NotFound: nope"):
        call(handler, lambda k: k.get("/api/v1/x"))
    handler, _ = sequence(httpx2.Response(422, json=status(422, "Invalid")))
    with pytest.raises(Invalid):
        call(handler, lambda k: k.request("PATCH", "/x", body={}, content_type="x"))


def test_list_pages_with_continue() -> None:
    pages = {
        None: {
            "apiVersion": "v1",
            "kind": "PodList",
            "metadata": {"continue": "c1"},
            "items": [{"metadata": {"name": "a"}}, {"metadata": {"name": "b"}}],
        },
        "c1": {
            "apiVersion": "v1",
            "kind": "PodList",
            "metadata": {"resourceVersion": "42"},
            "items": [{"metadata": {"name": "c"}}],
        },
    }
    seen: list[dict[str, str]] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        params = dict(request.url.params)
        seen.append(params)
        return httpx2.Response(200, json=pages[params.get("continue")])

    result, _ = call(handler, lambda k: k.list("/api/v1/pods", limit=2))
    assert [i["metadata"]["name"] for i in result.items] == ["a", "b", "c"]
    assert {(i["apiVersion"], i["kind"]) for i in result.items} == {("v1", "Pod")}
    assert (result.resource_version, result.kind) == ("42", "Pod")
    assert [p.get("limit") for p in seen] == ["2", "2"]


def watch_all(kube: KubeClient) -> Any:
    async def run() -> list[WatchEvent]:
        async with contextlib.aclosing(kube.watch("/api/v1/pods", resource_version="7")) as it:
            return [e async for e in it]

    return run()


def test_watch_parses_events_and_params() -> None:
    lines = [
        {"type": "ADDED", "object": {"metadata": {"name": "a"}}},
        {"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": "9"}}},
    ]
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(200, content=b"\n".join(orjson.dumps(x) for x in lines) + b"\n")

    events, _ = call(handler, watch_all)
    assert [e.type for e in events] == ["ADDED", "BOOKMARK"]
    params = dict(seen[0].url.params)
    assert params["watch"] == "true"
    assert params["allowWatchBookmarks"] == "true"
    assert params["resourceVersion"] == "7"


def test_watch_gone_from_error_event_and_http() -> None:
    body = orjson.dumps({"type": "ERROR", "object": status(410, "Expired", "too old")})
    with pytest.raises(Gone, match="too old"):
        call(lambda r: httpx2.Response(200, content=body), watch_all)
    with pytest.raises(Gone):
        call(lambda r: httpx2.Response(410, json=status(410, "Gone")), watch_all)


def test_token_bucket_burst_then_rate() -> None:
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    async def main() -> list[float]:
        bucket = TokenBucket(qps=2, burst=3, clock=lambda: now[0], sleep=sleep)
        return [await bucket.acquire() for _ in range(5)]

    waits = asyncio.run(main())
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3:] == pytest.approx([0.5, 0.5])


def test_backoff_policy() -> None:
    policy = RetryPolicy(base_delay=1, max_delay=5)
    assert policy.delay(1, rand=lambda: 0) == 0.5
    assert policy.delay(3, rand=lambda: 1) == 4
    assert policy.delay(10, rand=lambda: 1) == 5
    assert policy.delay(1, retry_after=60) == 5
    assert parse_retry_after("2") == 2
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") is None


def test_discovery_parsers() -> None:
    aggregated = {
        "items": [
            {
                "metadata": {"name": "apps"},
                "versions": [
                    {
                        "version": "v1",
                        "resources": [
                            {
                                "resource": "deployments",
                                "scope": "Namespaced",
                                "responseKind": {"kind": "Deployment"},
                                "verbs": ["get", "patch"],
                            }
                        ],
                    },
                    {
                        "version": "v1beta1",
                        "resources": [
                            {
                                "resource": "deployments",
                                "scope": "Namespaced",
                                "responseKind": {"kind": "Deployment"},
                            }
                        ],
                    },
                ],
            }
        ]
    }
    model = parse_aggregated([aggregated])
    assert model.preferred == {"apps": "v1"}
    found = model.find("apps", "Deployment")
    assert found is not None
    assert (found.version, found.verbs) == ("v1", frozenset({"get", "patch"}))
    beta = model.find("apps", "Deployment", "v1beta1")
    assert beta is not None
    assert beta.path("ns", "x") == "/apis/apps/v1beta1/namespaces/ns/deployments/x"
    assert model.find("apps", "Nope") is None
    legacy = parse_legacy_resource_list(
        "",
        "v1",
        {
            "resources": [
                {"name": "namespaces", "kind": "Namespace", "namespaced": False},
                {"name": "pods/log", "kind": "Pod", "namespaced": True},
            ]
        },
    )
    assert [(r.resource, r.namespaced) for r in legacy] == [("namespaces", False)]
    assert legacy[0].path(name="a") == "/api/v1/namespaces/a"


def test_merge_patch() -> None:
    original = {"data": {"a": "1", "b": "2"}, "metadata": {"labels": {"x": "1"}}}
    desired = {"data": {"a": "1", "c": "3"}, "metadata": {"labels": {"x": "1"}}}
    live = {"data": {"a": "1", "b": "2", "d": "4"}, "metadata": {"labels": {"x": "1"}, "uid": "u"}}
    assert merge_patch(original, desired, live) == {"data": {"b": None, "c": "3"}}
    assert merge_patch(desired, desired, {**live, "data": {"a": "1", "c": "3"}}) == {}
