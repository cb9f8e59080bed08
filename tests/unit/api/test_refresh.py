"""``GET /api/v1/applications/{name}?refresh=normal`` (the UI's and CLI's Refresh): it answers
once the controller has dropped the refresh annotation, and a refresh asked for while another
is still in flight is not lost.

The controller's part is played by the test: it drops the annotation as the controller does
when a refresh is done."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from kapstan.model.vocabulary import REFRESH
from kapstan.testing.api import ApiHarness, api_on, bearer
from kapstan.testing.fakekube import FakeKube
from kapstan.testing.fakes import install_into, until
from tests.unit.api.conftest import NS, app, rules

PATH = "/api/v1/applications/guestbook?refresh=normal"


def _annotation(api: ApiHarness) -> str | None:
    found = api.fake.get_object("Application", "guestbook", NS, group="argoproj.io") or {}
    return ((found.get("metadata") or {}).get("annotations") or {}).get(REFRESH)


def _refreshed(api: ApiHarness) -> None:
    """What the controller does at the end of a refresh."""
    api.fake.edit(
        "Application",
        "guestbook",
        NS,
        group="argoproj.io",
        change={"metadata": {"annotations": {REFRESH: None}}},
        manager="kapstan-controller",
    )


def test_refresh_answers_once_the_controller_has_refreshed() -> None:
    async def run() -> None:
        async with _api() as api:
            asked = asyncio.create_task(api.http.get(PATH, headers=bearer("admin")))
            await until("the refresh requested", lambda: _annotation(api) == "normal")
            await asyncio.sleep(0.3)
            assert not asked.done()  # the controller has not refreshed yet
            _refreshed(api)
            answer = await asyncio.wait_for(asked, 10)
            assert answer.status_code == 200, answer.text
            annotations = answer.json()["metadata"].get("annotations") or {}
            assert REFRESH not in annotations

    asyncio.run(run())


def test_a_refresh_asked_during_another_is_asked_again_once_that_one_is_done() -> None:
    # The first refresh may have read Git before the commit the user just pushed: setting the
    # same annotation value again would change nothing the controller could notice.
    async def run() -> None:
        async with _api(annotations={REFRESH: "normal"}) as api:
            asked = asyncio.create_task(api.http.get(PATH, headers=bearer("admin")))
            await asyncio.sleep(0.3)
            assert not asked.done()
            _refreshed(api)  # the refresh in flight ends
            await until("a second refresh requested", lambda: _annotation(api) == "normal")
            assert not asked.done()
            _refreshed(api)
            answer = await asyncio.wait_for(asked, 10)
            assert answer.status_code == 200, answer.text

    asyncio.run(run())


@contextlib.asynccontextmanager
async def _api(annotations: dict[str, str] | None = None) -> AsyncIterator[ApiHarness]:
    """The API over a fake holding the app ``guestbook``, once the mirror has it."""
    fake = FakeKube(namespaces=("default", NS))
    install_into(fake, NS)
    body = app("guestbook")
    if annotations:
        body["metadata"]["annotations"] = annotations
    fake.put(body)
    async with api_on(fake, rules=rules()) as api:
        await until("the app mirrored", lambda: api.ctx.mirror.app("guestbook") is not None)
        yield api
