"""FakeKube's pods/log: what tests write, answered as kube-apiserver answers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kapstan.kube.client import KubeClient
from kapstan.kube.errors import KubeError, NotFound
from kapstan.testing import FakeKube
from tests.unit.testing.helpers import run

T0 = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
PATH = "/api/v1/namespaces/default/pods/{}/log"


def _pod(name: str, *containers: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"containers": [{"name": c, "image": "x"} for c in containers]},
    }


def _fake() -> FakeKube:
    fake = FakeKube()
    fake.put(_pod("one", "main"))
    fake.put(_pod("two", "a", "b"))
    for i, line in enumerate(["l1", "l2", "l3"]):
        fake.logs.write("default", "one", "main", [line], at=T0 + timedelta(seconds=i))
    return fake


async def _text(kube: KubeClient, pod: str, **params: Any) -> str:
    resp = await kube.send("GET", PATH.format(pod), params=params, accept="*/*")
    assert resp.headers["content-type"] == "text/plain"
    return resp.text


def test_lines_tail_timestamps_and_limits() -> None:
    async def body(kube: KubeClient) -> None:
        assert await _text(kube, "one") == "l1\nl2\nl3\n"
        assert await _text(kube, "one", tailLines=1) == "l3\n"
        assert await _text(kube, "one", timestamps="true", tailLines=1) == (
            "2024-01-02T03:04:07.000000000Z l3\n"
        )
        assert await _text(kube, "one", sinceTime="2024-01-02T03:04:06Z") == "l2\nl3\n"
        assert await _text(kube, "one", limitBytes=4) == "l1\nl"

    run(_fake(), body)


def test_errors_as_the_api_server_words_them() -> None:
    async def body(kube: KubeClient) -> None:
        with pytest.raises(KubeError, match=r"choose one of: \[a b\]") as err:
            await _text(kube, "two")
        assert err.value.code == 400
        with pytest.raises(KubeError, match="container c is not valid for pod two"):
            await _text(kube, "two", container="c")
        with pytest.raises(KubeError, match='previous terminated container "main"'):
            await _text(kube, "one", previous="true")
        with pytest.raises(NotFound):
            await _text(kube, "ghost")
        assert await _text(kube, "two", container="b") == ""

    run(_fake(), body)


def test_previous_logs() -> None:
    fake = _fake()
    fake.logs.write("default", "one", "main", ["crashed"], previous=True)

    async def body(kube: KubeClient) -> None:
        assert await _text(kube, "one", previous="true") == "crashed\n"

    run(fake, body)


def test_follow_sends_new_lines_until_ended_or_closed() -> None:
    fake = _fake()

    async def body(kube: KubeClient) -> None:
        resp = await kube.send(
            "GET", PATH.format("one"), params={"follow": "true"}, accept="*/*", stream=True
        )
        lines = resp.aiter_lines()
        assert [await anext(lines) for _ in range(3)] == ["l1", "l2", "l3"]
        assert fake.logs.open_streams == 1
        fake.logs.write("default", "one", "main", ["l4"])
        assert await asyncio.wait_for(anext(lines), 5) == "l4"
        fake.logs.write("default", "one", "other", ["not mine"])
        fake.logs.end()
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(anext(lines), 5)
        await resp.aclose()
        assert fake.logs.open_streams == 0
        # A client that closes early unsubscribes too.
        again = await kube.send(
            "GET", PATH.format("one"), params={"follow": "true"}, accept="*/*", stream=True
        )
        assert fake.logs.open_streams == 1
        await again.aclose()
        assert fake.logs.open_streams == 0

    run(fake, body)
