"""``/api/v1/stream/multiplex`` against the API in process: events of two topics on one SSE
connection, topics added and removed without reconnecting, another user's stream refused, RBAC
filtering as on the per-watch streams, the limits, keep-alive comments, and the cleanup when
the connection closes (the watches stop, the user may open a stream again)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from kapstan.api.routes import multiplex
from kapstan.api.streamsessions import StreamLimits
from kapstan.services.snapshots import InMemorySnapshots, Snapshot
from kapstan.testing.api import ApiHarness, Rules, api_on, bearer
from kapstan.testing.fakekube import FakeKube
from kapstan.testing.fakes import until
from tests.unit.api.conftest import NS, app

OPEN = "/api/v1/stream/multiplex"
RULES = Rules(
    allow=[("admin", "*", "*", "*"), ("alice", "applications", "get", "default/guestbook")]
)
TREE = {"nodes": [{"kind": "Deployment", "name": "web", "namespace": "guestbook"}]}


class Stream:
    """One open multiplexed stream: its id, and every data message and comment received."""

    def __init__(self) -> None:
        self.id = ""
        self.messages: list[dict[str, Any]] = []
        self.comments = 0
        self.task: asyncio.Task[None] | None = None

    def of(self, topic: str) -> list[Any]:
        return [m["result"] for m in self.messages if m.get("topic") == topic and "result" in m]

    async def wait(self, what: str, check: Callable[[], Any]) -> Any:
        return await until(what, check, timeout=10)


@contextlib.asynccontextmanager
async def opened(api: ApiHarness, user: str = "admin") -> AsyncIterator[Stream]:
    stream = Stream()
    ready = asyncio.Event()

    async def read() -> None:
        headers = {**bearer(user), "Accept": "text/event-stream"}
        async with api.http.stream("GET", OPEN, headers=headers, timeout=None) as resp:
            assert resp.status_code == 200
            async for line in resp.aiter_lines():
                if line.startswith(":"):
                    stream.comments += 1
                elif line.startswith("data: "):
                    body = json.loads(line[6:])
                    if "stream" in body:
                        stream.id = body["stream"]
                        ready.set()
                    else:
                        stream.messages.append(body)

    stream.task = asyncio.create_task(read())
    await asyncio.wait_for(ready.wait(), 10)
    try:
        yield stream
    finally:
        stream.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await stream.task


async def topics(api: ApiHarness, stream: Stream, user: str = "admin", **body: Any) -> Any:
    return await api.http.post(f"{OPEN}/{stream.id}/topics", json=body, headers=bearer(user))


def _names(results: list[Any]) -> list[tuple[str, str]]:
    return [(r["type"], r["application"]["metadata"]["name"]) for r in results]


def run(body: Callable[[ApiHarness], Any]) -> None:
    async def main() -> None:
        fake = FakeKube(namespaces=("default", NS))
        snapshots = InMemorySnapshots()
        await snapshots.put(Snapshot.of(NS, "guestbook", "2026-01-01T00:00:00Z", "abc", TREE, []))
        async with api_on(fake, rules=RULES, snapshots=snapshots) as api:
            fake.put(app("guestbook"))
            fake.put(app("web", project_name="team"))
            await until("the apps are mirrored", lambda: len(api.ctx.mirror.apps()) == 2)
            await body(api)

    asyncio.run(main())


def test_two_topics_on_one_connection_then_one_removed_and_another_added() -> None:
    async def body(api: ApiHarness) -> None:
        async with opened(api) as stream:
            resp = await topics(api, stream, add=[
                {"id": "apps", "type": "applications", "projects": ["default", "team"]},
                {"id": "tree", "type": "tree", "name": "guestbook"},
            ])  # fmt: skip
            assert resp.status_code == 200, resp.text
            assert resp.json() == {"stream": stream.id, "topics": ["apps", "tree"]}
            await stream.wait("both apps listed", lambda: len(stream.of("apps")) == 2)
            assert sorted(_names(stream.of("apps"))) == [("ADDED", "guestbook"), ("ADDED", "web")]
            await stream.wait("the tree", lambda: stream.of("tree"))
            assert stream.of("tree")[0] == TREE

            changed = app("web", project_name="team")
            changed["metadata"]["labels"]["color"] = "blue"
            api.fake.put(changed)
            await stream.wait(
                "the change", lambda: ("MODIFIED", "web") in _names(stream.of("apps"))
            )

            web = {"id": "web", "type": "applications", "name": "web"}
            resp = await topics(api, stream, remove=["apps"], add=[web])
            assert resp.json()["topics"] == ["tree", "web"]
            before = len(stream.of("apps"))
            again = app("web", project_name="team")
            again["metadata"]["labels"]["color"] = "green"
            api.fake.put(again)

            def green() -> bool:
                seen = [
                    r["application"]["metadata"]["labels"].get("color") for r in stream.of("web")
                ]
                return "green" in seen

            await stream.wait("the new topic sees the change", green)
            assert len(stream.of("apps")) == before  # the removed topic sent nothing more
            named = {"id": "named", "type": "applications", "names": "guestbook",
                     "fields": "result.type,result.application.metadata.name"}  # fmt: skip
            assert (await topics(api, stream, add=[named])).status_code == 200
            await stream.wait("the named app, projected", lambda: stream.of("named"))
            assert stream.of("named") == [
                {"type": "ADDED", "application": {"metadata": {"name": "guestbook"}}}
            ]
            used = await topics(api, stream, add=[{"id": "tree", "type": "tree", "name": "web"}])
            assert used.status_code == 400
            assert "already open" in used.json()["message"]

    run(body)


def test_another_users_stream_and_unknown_ones_are_refused() -> None:
    async def body(api: ApiHarness) -> None:
        async with opened(api) as stream:
            add = [{"id": "apps", "type": "applications"}]
            resp = await topics(api, stream, user="bob", add=add)
            assert resp.status_code == 403, resp.text
            assert "another user's stream" in resp.json()["message"]
            unknown = await api.http.post(f"{OPEN}/nope/topics", json={"add": add},
                                          headers=bearer("admin"))  # fmt: skip
            assert unknown.status_code == 404
            anonymous = await api.http.post(f"{OPEN}/{stream.id}/topics", json={"add": add})
            assert anonymous.status_code == 401
            assert (await topics(api, stream)).json()["topics"] == []

    run(body)


def test_rbac_filters_events_and_refuses_a_tree_the_user_may_not_get() -> None:
    async def body(api: ApiHarness) -> None:
        async with opened(api, "alice") as stream:
            refused = await topics(api, stream, "alice", add=[
                {"id": "apps", "type": "applications"},
                {"id": "web", "type": "tree", "name": "web"},
            ])  # fmt: skip
            assert refused.status_code == 403, refused.text
            assert (await topics(api, stream, "alice")).json()["topics"] == []  # nothing added
            ok = await topics(api, stream, "alice", add=[{"id": "apps", "type": "applications"}])
            assert ok.status_code == 200, ok.text
            await stream.wait("guestbook listed", lambda: stream.of("apps"))
            changed = app("web", project_name="team")
            changed["metadata"]["labels"]["color"] = "blue"
            api.fake.put(changed)
            api.fake.put({**app("guestbook"), "status": {"sync": {"status": "Synced"}}})
            await stream.wait("guestbook changed", lambda: len(stream.of("apps")) >= 2)
            assert {n for _, n in _names(stream.of("apps"))} == {"guestbook"}

    run(body)


@pytest.mark.parametrize(
    ("topic", "message"),
    [
        ({"id": "x", "type": "logs"}, "type must be applications or tree"),
        ({"id": "", "type": "applications"}, "needs an id"),
        ({"id": "x", "type": "tree"}, "needs the app's name"),
        ({"id": "x", "type": "tree", "name": "web", "selector": "a"}, "unknown field(s) selector"),
        ({"id": "x", "type": "applications", "projects": [1]}, "projects must be a list"),
        ({"id": "x", "type": "applications", "selector": "a in ("}, "invalid label selector"),
    ],
)
def test_bad_topics_are_refused_with_the_reason(topic: dict[str, Any], message: str) -> None:
    async def body(api: ApiHarness) -> None:
        async with opened(api) as stream:
            resp = await topics(api, stream, add=[topic])
            assert resp.status_code == 400, resp.text
            assert message in resp.json()["message"]

    run(body)


def test_limits_keepalive_and_cleanup(monkeypatch: pytest.MonkeyPatch) -> None:
    limits = StreamLimits(topics_per_stream=2, streams_per_user=1, keepalive=0.1)
    monkeypatch.setattr(multiplex, "LIMITS", limits)

    async def body(api: ApiHarness) -> None:
        listeners = len(api.ctx.mirror._listeners)
        async with opened(api) as stream:
            three = [{"id": f"t{i}", "type": "applications"} for i in range(3)]
            resp = await topics(api, stream, add=three)
            assert resp.status_code == 429, resp.text
            assert "at most 2" in resp.json()["message"]
            assert (await topics(api, stream, add=three[:2])).status_code == 200
            second = await api.http.get(OPEN, headers=bearer("admin"))
            assert second.status_code == 429
            assert "too many open streams" in second.json()["message"]
            async with opened(api, "bob") as bobs:  # the limit is per user
                assert bobs.id != stream.id
            await stream.wait("keep-alive comments", lambda: stream.comments >= 2)
            await until("two watches", lambda: len(api.ctx.mirror._listeners) == listeners + 2)
        # Closed: its watches stop and the user may open a stream again.
        await until("watches stopped", lambda: len(api.ctx.mirror._listeners) == listeners)
        async with opened(api) as again:
            assert again.id != stream.id

    run(body)
