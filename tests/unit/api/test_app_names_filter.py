"""``names``: the application list and watch filter Argo CD v3.6's UI sends in its
favourites-only mode (``names=a&names=b``; ``<namespace>/<name>`` qualifies an entry; none
given: every app)."""

from __future__ import annotations

import asyncio
import json

from kapstan.testing.api import api_on, bearer
from kapstan.testing.fakekube import FakeKube
from kapstan.testing.fakes import install_into, until
from tests.unit.api.conftest import NS, app


def test_names_filter_the_list_and_the_watch() -> None:
    async def body() -> None:
        fake = FakeKube(namespaces=(NS,))
        install_into(fake, NS)
        for name in ("guestbook", "billing", "web"):
            fake.put(app(name))
        async with api_on(fake, namespace=NS) as api:
            await until("the apps", lambda: len(api.ctx.mirror.apps()) == 3)

            async def listed(query: str) -> list[str]:
                answer = await api.http.get(
                    f"/api/v1/applications?{query}", headers=bearer("admin")
                )
                assert answer.status_code == 200
                return sorted(a["metadata"]["name"] for a in answer.json()["items"])

            assert await listed("names=guestbook&names=web") == ["guestbook", "web"]
            assert await listed(f"names={NS}/billing") == ["billing"]
            assert await listed("names=other-ns/billing") == []
            assert await listed("") == ["billing", "guestbook", "web"]

            headers = {**bearer("admin"), "Accept": "text/event-stream"}
            seen: list[str] = []
            async with api.http.stream(
                "GET", "/api/v1/stream/applications?names=web", headers=headers
            ) as stream:
                async for line in stream.aiter_lines():
                    if line.startswith("data: "):
                        seen.append(
                            json.loads(line[6:])["result"]["application"]["metadata"]["name"]
                        )
                        break
            assert seen == ["web"]

    asyncio.run(body())
