"""Who reaches an app's live resources, actions, logs and links (table-driven from
testdata/resource_access.yaml)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.services.snapshots import InMemorySnapshots
from kapstan.testing.api import Rules, api_on, bearer
from kapstan.testing.fakekube import FakeKube
from kapstan.testing.fakes import install_into, until
from tests.unit.api.conftest import NS, app, project
from tests.unit.api.resources import APP_NS, deployment, pod, publish, replica_set

TABLE = yaml.safe_load((Path(__file__).parent / "testdata" / "resource_access.yaml").read_text())
CASES = TABLE["cases"]
USERS = sorted({r[0] for r in TABLE["rules"]})


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_resource_access(case: dict[str, Any]) -> None:
    asyncio.run(_check(case))


async def _check(case: dict[str, Any]) -> None:
    fake = FakeKube(namespaces=("default", NS, APP_NS))
    install_into(fake, NS)
    fake.put(project("team-a"))
    destination = {"server": "https://kubernetes.default.svc", "namespace": APP_NS}
    fake.put(app("guestbook", destination=destination))
    if case.get("cm"):
        fake.put(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "argocd-cm", "namespace": NS},
                "data": case["cm"],
            }
        )
    web = fake.put(deployment())
    rs = fake.put(replica_set("web-1", web))
    running = fake.put(pod("web-1-a", rs))
    fake.write_logs(APP_NS, "web-1-a", "main", ["hello"])
    snapshots = InMemorySnapshots()
    await publish(snapshots, [web, rs, running])
    rules = Rules(allow=[tuple(r) for r in TABLE["rules"]])  # type: ignore[misc]
    async with api_on(fake, rules=rules, snapshots=snapshots, users=USERS) as api:
        await until("the app is mirrored", lambda: api.ctx.mirror.app("guestbook"))
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
