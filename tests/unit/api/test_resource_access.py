"""Who reaches an app's live resources, actions, logs and links (table-driven from
testdata/resource_access.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.testing.api import ApiHarness, Rules, bearer
from kapstan.testing.fakekube import FakeKube
from tests.unit.api.resources import APP_NS, deployment, pod, replica_set, serve

TABLE = yaml.safe_load((Path(__file__).parent / "testdata" / "resource_access.yaml").read_text())
CASES = TABLE["cases"]
USERS = sorted({r[0] for r in TABLE["rules"]})


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_resource_access(case: dict[str, Any]) -> None:
    _check(case)


def _check(case: dict[str, Any]) -> None:
    def build(fake: FakeKube) -> list[dict[str, Any]]:
        web = fake.put(deployment())
        rs = fake.put(replica_set("web-1", web))
        running = fake.put(pod("web-1-a", rs))
        fake.logs.write(APP_NS, "web-1-a", "main", ["hello"])
        return [web, rs, running]

    rules = Rules(allow=[tuple(r) for r in TABLE["rules"]])

    async def body(api: ApiHarness, _stored: list[dict[str, Any]]) -> None:
        headers = bearer(case["caller"]) if case["caller"] else {}
        rules.asked.clear()
        response = await api.http.request(
            case["method"], case["path"], headers=headers, content=case.get("body")
        )
        assert response.status_code == case["status"], response.text
        if "code" in case:
            assert response.json()["code"] == case["code"]
        if "message" in case:
            assert response.json()["message"] == case["message"]
        asked = [list(a[1:]) for a in rules.asked]
        for check in case.get("asked", []):
            assert check in asked, asked

    serve(body, build, cm=case.get("cm"), rules=rules, users=USERS)
