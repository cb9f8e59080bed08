"""No Secret value leaves the API: a real controller (on FakeKube) deploys an app with a
Secret and publishes its snapshot; every application endpoint's answer is walked for the
planted values (the Secret's data, stringData and last-applied annotation)."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from kapstan.services.settings import Settings
from kapstan.testing.api import api_on, bearer
from kapstan.testing.fakekube import FakeKube
from kapstan.testing.fakes import StaticManifests, running, until
from tests.unit.api.conftest import NS, app

PLANTED = "planted-Pa55word-7f3a"
ENCODED = base64.b64encode(PLANTED.encode()).decode()
SECRET = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "db"},
    "type": "Opaque",
    "stringData": {"password": PLANTED},
}
CONFIG = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {}}
ENDPOINTS = [
    "/api/v1/applications",
    "/api/v1/applications/guestbook",
    "/api/v1/applications/guestbook/resource-tree",
    "/api/v1/applications/guestbook/managed-resources",
    "/api/v1/applications/guestbook/events",
    "/api/v1/applications/guestbook/syncwindows",
    "/api/v1/settings",
]


def test_no_endpoint_shows_a_secret_value() -> None:
    fake = FakeKube(namespaces=("default", NS, "guestbook"))

    async def body() -> None:
        manifests = StaticManifests([CONFIG, SECRET])
        async with running(fake, manifests, settings=Settings()) as (controller, _kube):
            spec: dict[str, Any] = app("guestbook")
            spec["operation"] = {"sync": {}, "initiatedBy": {"username": "admin"}}
            fake.put(spec)

            def deployed() -> bool:
                live = fake.get_object("Secret", "db", "guestbook") or {}
                return bool(live.get("data") or live.get("stringData"))

            await until("the Secret deployed", deployed)
            async with api_on(fake, snapshots=controller.snapshots) as api:

                async def published() -> bool:
                    snap = await controller.snapshots.get(NS, "guestbook")
                    return snap is not None and any(
                        m.get("kind") == "Secret" and m.get("liveState") for m in snap.managed
                    )

                for _ in range(250):
                    if await published():
                        break
                    await asyncio.sleep(0.02)
                assert await published()
                for path in ENDPOINTS:
                    answer = await api.http.get(path, headers=bearer("admin"))
                    assert answer.status_code == 200, (path, answer.text)
                    assert PLANTED not in answer.text, path
                    assert ENCODED not in answer.text, path
                managed = (
                    await api.http.get(
                        "/api/v1/applications/guestbook/managed-resources", headers=bearer("admin")
                    )
                ).json()["items"]
                assert any(i["kind"] == "Secret" for i in managed)

    asyncio.run(body())
