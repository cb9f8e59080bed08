"""The unauthenticated endpoints: the status badge (table-driven from testdata/badge.yaml),
the OpenAPI document and the public settings (no secret of argocd-secret in them)."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.testing.api import api_on
from kapstan.testing.fakekube import FakeKube
from kapstan.testing.fakes import install_into, until
from tests.unit.api.conftest import NS, app, project

CASES = yaml.safe_load((Path(__file__).parent / "testdata" / "badge.yaml").read_text())


def _with_status(body: dict[str, Any], health: str, sync: str, revision: str) -> dict[str, Any]:
    body["status"] = {"health": {"status": health}, "sync": {"status": sync, "revision": revision}}
    return body


def _fake(cm: dict[str, str]) -> FakeKube:
    fake = FakeKube(namespaces=("default", NS))
    install_into(fake, NS)
    fake.put(project("team-a"))
    fake.put(_with_status(app("guestbook"), "Healthy", "Synced", "abcdef0123456789"))
    fake.put(_with_status(app("billing", "team-a"), "Degraded", "OutOfSync", "1234567"))
    fake.put(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-cm", "namespace": NS},
            "data": cm,
        }
    )
    return fake


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_badge(case: dict[str, Any]) -> None:
    async def body() -> None:
        cm = {"statusbadge.enabled": "true"} if case["enabled"] else {}
        async with api_on(_fake(cm)) as api:
            await until("the apps", lambda: len(api.ctx.mirror.apps()) == 2)
            answer = await api.http.get(f"/api/badge?{case['query']}")
            assert answer.status_code == 200
            assert answer.headers["content-type"].startswith("image/svg+xml")
            for text in case.get("shows", []):
                assert text in answer.text
            for text in case.get("hides", []):
                assert text not in answer.text

    asyncio.run(body())


def test_openapi_document_lists_the_routes() -> None:
    async def body() -> None:
        async with api_on(_fake({})) as api:
            answer = await api.http.get("/swagger.json")
            assert answer.status_code == 200
            paths = answer.json()["paths"]
            for path in (
                "/api/v1/applications",
                "/api/v1/applications/{name}/sync",
                "/api/v1/stream/applications",
                "/api/v1/session",
                "/api/v1/projects",
                "/api/badge",
            ):
                assert path in paths

    asyncio.run(body())


def test_public_settings_hold_no_secret() -> None:
    async def body() -> None:
        fake = _fake({"url": "https://cd.example", "users.anonymous.enabled": "false"})
        fake.put(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "argocd-secret", "namespace": NS},
                "data": {"server.secretkey": base64.b64encode(b"planted-KEY-value").decode()},
            }
        )
        async with api_on(fake) as api:
            await until("the secret", lambda: api.ctx.settings().secret.get("server.secretkey"))
            answer = await api.http.get("/api/v1/settings")
            assert answer.status_code == 200
            assert answer.json()["url"] == "https://cd.example"
            assert "planted-KEY-value" not in answer.text

    asyncio.run(body())


def test_every_answer_says_its_server_time_and_nothing_else() -> None:
    async def body() -> None:
        async with api_on(_fake({})) as api:
            for path, status in (("/api/version", 200), ("/api/v1/applications", 401)):
                answer = await api.http.get(path)
                assert answer.status_code == status
                name, _, duration = answer.headers["server-timing"].partition(";dur=")
                assert name == "app"
                assert 0 <= float(duration) < 10_000

    asyncio.run(body())
