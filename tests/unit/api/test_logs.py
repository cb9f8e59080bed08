"""``GET /api/v1/applications/{name}/logs`` and ``.../pods/{podName}/logs``: pod logs of an
app's tree, merged and streamed (NDJSON and SSE), on FakeKube's pods/log."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from kapstan.testing.api import ApiHarness, bearer
from kapstan.testing.fakekube import FakeKube
from kapstan.testing.fakes import until
from tests.unit.api.resources import APP_NS, deployment, pod, replica_set, serve

LOGS = "/api/v1/applications/guestbook/logs"
POD = "/api/v1/applications/guestbook/pods/{}/logs"
T0 = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
Body = Callable[[ApiHarness], Awaitable[None]]


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def run(body: Body, *, cm: dict[str, str] | None = None, extra_pod: bool = False) -> None:
    """guestbook's tree: Deployment web -> ReplicaSet web-1 -> Pods web-1-a, web-1-b."""

    def build(fake: FakeKube) -> list[dict[str, Any]]:
        web = fake.put(deployment())
        rs = fake.put(replica_set("web-1", web))
        pods = [fake.put(pod("web-1-a", rs)), fake.put(pod("web-1-b", rs, "main", "sidecar"))]
        if extra_pod:
            fake.put(pod("stray"))
        return [web, rs, *pods]

    async def with_api(api: ApiHarness, _stored: list[dict[str, Any]]) -> None:
        await body(api)

    serve(with_api, build, cm=cm)


async def frames(api: ApiHarness, path: str = LOGS, **params: str) -> list[dict[str, Any]]:
    resp = await api.http.get(path, params=params, headers=bearer("admin"))
    assert resp.status_code == 200, resp.text
    return [json.loads(line)["result"] for line in resp.text.splitlines() if line]


def test_one_pod_streams_its_lines_then_a_last_frame() -> None:
    async def body(api: ApiHarness) -> None:
        api.fake.logs.write(APP_NS, "web-1-a", "main", ["one", "two"], at=at(1))
        got = await frames(api, POD.format("web-1-a"))
        assert [(f["content"], f["podName"], f["last"]) for f in got] == [
            ("one", "web-1-a", False),
            ("two", "web-1-a", False),
            ("", "", True),
        ]
        assert got[0]["timeStamp"] == "2024-01-02T03:04:06Z"
        assert got[0]["timeStampStr"] == "2024-01-02T03:04:06Z"

    run(body)


def test_a_deployment_merges_its_pods_by_time() -> None:
    async def body(api: ApiHarness) -> None:
        fake = api.fake
        fake.logs.write(APP_NS, "web-1-a", "main", ["a1"], at=at(1))
        fake.logs.write(APP_NS, "web-1-a", "main", ["a3"], at=at(3))
        fake.logs.write(APP_NS, "web-1-b", "main", ["b2"], at=at(2.5))
        fake.logs.write(APP_NS, "web-1-b", "main", ["b4"], at=at(4))
        got = await frames(
            api, kind="Deployment", group="apps", resourceName="web", container="main"
        )
        assert [f["content"] for f in got] == ["a1", "b2", "a3", "b4", ""]
        assert got[1]["timeStampStr"] == "2024-01-02T03:04:07.5Z"

    run(body)


def test_tail_filter_and_until() -> None:
    async def body(api: ApiHarness) -> None:
        lines = ["ok 1", "ERROR 2", "ok 3", "error 4"]
        for i, line in enumerate(lines):
            api.fake.logs.write(APP_NS, "web-1-a", "main", [line], at=at(i))
        pod_logs = POD.format("web-1-a")
        tail = await frames(api, pod_logs, tailLines="2")
        assert [f["content"] for f in tail] == ["ok 3", "error 4", ""]
        errors = await frames(api, pod_logs, filter="error")
        assert [f["content"] for f in errors] == ["ERROR 2", "error 4", ""]
        exact = await frames(api, pod_logs, filter="error", matchCase="true")
        assert [f["content"] for f in exact] == ["error 4", ""]
        not_ok = await frames(api, pod_logs, filter="!ok")
        assert [f["content"] for f in not_ok] == ["ERROR 2", "error 4", ""]
        until_2 = await frames(api, pod_logs, untilTime="2024-01-02T03:04:06Z")
        assert [(f["content"], f["last"]) for f in until_2] == [
            ("ok 1", False),
            ("ERROR 2", False),
            ("ok 3", True),
        ]

    run(body)


def test_a_pod_that_cannot_answer_shows_the_reason() -> None:
    async def body(api: ApiHarness) -> None:
        got = await frames(api, POD.format("web-1-b"))
        assert got[0]["content"] == (
            "a container name must be specified for pod web-1-b, choose one of: [main sidecar]"
        )
        assert got[-1]["last"] is True

    run(body)


def test_a_pod_outside_the_tree_gives_an_empty_stream() -> None:
    async def body(api: ApiHarness) -> None:
        api.fake.logs.write(APP_NS, "stray", "main", ["secret stuff"])
        resp = await api.http.get(POD.format("stray"), headers=bearer("admin"))
        assert resp.status_code == 200
        assert resp.text == ""
        assert api.fake.count("GET", f"/api/v1/namespaces/{APP_NS}/pods/stray/log") == 0

    run(body, extra_pod=True)


def test_too_many_pods_is_argo_cds_invalid_argument() -> None:
    async def body(api: ApiHarness) -> None:
        resp = await api.http.get(
            LOGS, params={"kind": "Deployment", "group": "apps"}, headers=bearer("admin")
        )
        assert resp.status_code == 400
        assert resp.json()["message"] == (
            "max pods to view logs are reached. Please provide more granular query"
        )

    run(body, cm={"server.maxPodLogsToRender": "1"})


def test_sse_frames() -> None:
    async def body(api: ApiHarness) -> None:
        api.fake.logs.write(APP_NS, "web-1-a", "main", ["hello"], at=at(1))
        resp = await api.http.get(
            POD.format("web-1-a"),
            headers={**bearer("admin"), "Accept": "text/event-stream"},
        )
        assert resp.headers["content-type"].startswith("text/event-stream")
        events = [e for e in resp.text.split("\n\n") if e]
        assert all(e.startswith("data: ") for e in events)
        assert json.loads(events[0].removeprefix("data: "))["result"]["content"] == "hello"

    run(body)


def test_follow_streams_new_lines_and_closes_upstream_on_disconnect() -> None:
    async def body(api: ApiHarness) -> None:
        fake = api.fake
        fake.logs.write(APP_NS, "web-1-a", "main", ["before"], at=at(1))
        params = {"follow": "true"}
        async with api.http.stream(
            "GET", POD.format("web-1-a"), params=params, headers=bearer("admin")
        ) as resp:
            assert resp.status_code == 200
            lines = resp.aiter_lines()
            first = json.loads(await asyncio.wait_for(anext(lines), 5))["result"]
            assert first["content"] == "before"
            await until("the upstream is open", lambda: fake.logs.open_streams == 1)
            fake.logs.write(APP_NS, "web-1-a", "main", ["after"], at=at(2))
            second = json.loads(await asyncio.wait_for(anext(lines), 5))["result"]
            assert (second["content"], second["last"]) == ("after", False)
        # The client went away: the API closes its upstream log request.
        await until("the upstream is closed", lambda: fake.logs.open_streams == 0)

    run(body)


def test_follow_ends_with_a_last_frame_when_the_container_stops() -> None:
    async def body(api: ApiHarness) -> None:
        fake = api.fake
        fake.logs.write(APP_NS, "web-1-a", "main", ["x"], at=at(1))

        async def stop_soon() -> None:
            await until("the upstream is open", lambda: fake.logs.open_streams == 1)
            fake.logs.end()

        stopper = asyncio.create_task(stop_soon())
        got = await frames(api, POD.format("web-1-a"), follow="true")
        await stopper
        assert [(f["content"], f["last"]) for f in got] == [("x", False), ("", True)]

    run(body)
