"""Who reaches which Application through the API, and Argo CD's answers otherwise
(table-driven from testdata/app_access.yaml)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.testing.api import api_on, bearer
from kapstan.testing.fakekube import FakeKube
from kapstan.testing.fakes import install_into, until
from tests.unit.api.conftest import NS, app, project, rules

CASES = yaml.safe_load((Path(__file__).parent / "testdata" / "app_access.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_access(case: dict[str, Any]) -> None:
    asyncio.run(_check(case))


async def _check(case: dict[str, Any]) -> None:
    fake = FakeKube(namespaces=("default", NS))
    install_into(fake, NS)
    fake.put(project("team-a"))
    fake.put(app("guestbook"))
    fake.put(app("billing", "team-a"))
    async with api_on(fake, rules=rules()) as api:
        await until("the apps are mirrored", lambda: len(api.ctx.mirror.apps()) == 2)
        headers = bearer(case["caller"]) if case["caller"] else {}
        response = await api.http.request(
            case["method"], case["path"], headers=headers, json=case.get("body")
        )
        assert response.status_code == case["status"], response.text
        if "code" in case:
            body = response.json()
            assert body["code"] == case["code"]
            assert body["error"] == body["message"]
            if "message" in case:
                assert body["message"] == case["message"]
