"""Projects, repositories, repocreds, clusters and certificates through the API: happy paths,
RBAC denials with Argo CD's messages, missing objects and bad input (table-driven from
testdata/admin_routes.yaml), and no planted credential in any answer."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.testing.api import Rules, api_on, bearer
from kapstan.testing.fakes import until
from tests.unit.api.admin_fixtures import (
    PLANTED,
    fake_probe,
    seeded,
    ssh_public_key,
    tls_certificate,
)

USERS = ("admin", "alice", "bob", "carol")
CASES = yaml.safe_load((Path(__file__).parent / "testdata" / "admin_routes.yaml").read_text())
RULES = [
    ("admin", "*", "*", "*"),
    ("alice", "applications", "get", "default/*"),
    ("bob", "*", "*", "team-a/*"),
    ("bob", "projects", "*", "team-a"),
    ("carol", "*", "get", "*"),
]


def contains(actual: Any, expected: Any) -> bool:
    """``expected`` is a subset of ``actual`` (lists element-wise, of the same length)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and contains(actual[k], v) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(contains(a, e) for a, e in zip(actual, expected, strict=True))
        )
    return actual == expected


def _substitute(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        for key, text in values.items():
            value = value.replace("{" + key + "}", text)
        return value
    if isinstance(value, dict):
        return {k: _substitute(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, values) for v in value]
    return value


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_admin_route(case: dict[str, Any]) -> None:
    asyncio.run(_check(case))


async def _check(case: dict[str, Any]) -> None:
    key = ssh_public_key().split()[1]
    values = {
        "ssh_key_b64": base64.b64encode(key.encode()).decode(),
        "tls_pem_b64": base64.b64encode(tls_certificate("new.example.com").encode()).decode(),
    }
    async with api_on(
        seeded(), users=USERS, rules=Rules(allow=list(RULES)), customize=fake_probe
    ) as api:
        await until("the apps are mirrored", lambda: len(api.ctx.mirror.apps()) == 2)
        body = _substitute(case.get("body"), values)
        response = await api.http.request(
            case["method"], case["path"], headers=bearer(case["caller"]), json=body
        )
        assert response.status_code == case["status"], response.text
        data = response.json()
        for planted in PLANTED:
            assert planted not in response.text
        if "code" in case:
            assert data["code"] == case["code"]
            assert data["error"] == data["message"]
            if "message" in case:
                assert data["message"] == case["message"]
        if "expect" in case:
            assert contains(data, case["expect"]), data
        for field, key_path in (("expect_names", ("metadata", "name")), ("expect_repos", ("repo",)),
                                ("expect_servers", ("server",))):  # fmt: skip
            if field in case:
                got = [_dig(item, key_path) for item in data["items"]]
                assert got == case[field], got
        if "expect_count" in case:
            assert len(data["items"]) == case["expect_count"]
        for key_name in case.get("expect_keys", []):
            assert key_name in data


def _dig(item: dict[str, Any], path: tuple[str, ...]) -> Any:
    for part in path:
        item = item[part]
    return item


SWEEP = [
    ("GET", "/api/v1/repositories"),
    ("GET", "/api/v1/repositories?forceRefresh=true"),
    ("GET", "/api/v1/repositories/https%3A%2F%2F127.0.0.1%3A9%2Forg%2Fprivate.git"),
    ("GET", "/api/v1/repositories/git%40127.0.0.1%3Aorg%2Fssh.git"),
    ("GET", "/api/v1/repositories/https%3A%2F%2F127.0.0.1%3A9%2Forg%2Fteam-charts.git"),
    ("GET", "/api/v1/repocreds"),
    ("GET", "/api/v1/clusters"),
    ("GET", "/api/v1/clusters/https%3A%2F%2Freachable.example%3A6443"),
    ("GET", "/api/v1/clusters/team?id.type=name"),
    ("POST", "/api/v1/clusters/https%3A%2F%2Freachable.example%3A6443/invalidate-cache"),
    ("PUT", "/api/v1/clusters/https%3A%2F%2Freachable.example%3A6443?updatedFields=name"),
    ("GET", "/api/v1/projects/team-a/detailed"),
    ("GET", "/api/v1/projects"),
    ("GET", "/api/v1/certificates"),
    ("DELETE", "/api/v1/certificates?hostNamePattern=*"),
]


def test_no_answer_carries_a_planted_secret() -> None:
    """Every answer of the admin routes, for every seeded object, is free of the planted
    repository password, SSH key, template password, cluster bearer token, password and
    TLS key (including the errors of connection checks, which use those credentials)."""

    async def sweep() -> None:
        async with api_on(seeded(), customize=fake_probe) as api:
            for method, path in SWEEP:
                body = {"server": "https://reachable.example:6443", "name": "x"}
                response = await api.http.request(
                    method, path, headers=bearer("admin"), json=body if method == "PUT" else None
                )
                assert response.status_code == 200, (path, response.text)
                for planted in PLANTED:
                    assert planted not in response.text, (path, planted)
            # The written Secret still holds the credentials (only answers drop them).
            secret = api.fake.get_object("Secret", "cluster-remote", "argocd")
            assert secret is not None
            config = base64.b64decode(secret["data"]["config"]).decode()
            assert "planted-bearer-token-4" in config

    asyncio.run(sweep())
