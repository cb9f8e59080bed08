"""``POST /api/webhook`` against the in-process API: every provider's documented payloads
(testdata/webhooks/<provider>.yaml) with the expected answer and the apps asked to refresh."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson
import pytest
import yaml

from kapstan.model.vocabulary import REFRESH
from kapstan.testing.api import ApiHarness, api_on
from kapstan.testing.fakekube import FakeKube
from kapstan.testing.fakes import install_into, until
from tests.unit.api.conftest import NS

DATA = Path(__file__).parent / "testdata" / "webhooks"
APPS: dict[str, dict[str, Any]] = yaml.safe_load((DATA / "apps.yaml").read_text())
CASES = [
    case
    for path in sorted(DATA.glob("*.yaml"))
    if path.name != "apps.yaml"
    for case in yaml.safe_load(path.read_text())
]


def application(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in spec.items() if k != "annotations"}
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": NS, "annotations": spec.get("annotations", {})},
        "spec": {
            "project": "default",
            "destination": {"server": "https://kubernetes.default.svc", "namespace": name},
            **fields,
        },
    }


def argocd_secret(data: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "argocd-secret", "namespace": NS},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }


def fake_with_apps(secrets: dict[str, str], cm: dict[str, str] | None = None) -> FakeKube:
    fake = FakeKube(namespaces=("default", NS))
    install_into(fake, NS)
    for name, spec in APPS.items():
        fake.put(application(name, spec))
    fake.put(argocd_secret(secrets))
    if cm is not None:
        fake.put(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "argocd-cm", "namespace": NS},
                "data": cm,
            }
        )
    return fake


def body_of(case: dict[str, Any]) -> bytes:
    if "raw" in case:
        return str(case["raw"]).encode()
    payload = dict(case["body"])
    files = case.get("files")
    if files:
        names = [f"{files['prefix']}{i}.md" for i in range(files["count"] - 1)]
        commit = {"id": "big", "message": "many", "modified": [], "removed": []}
        payload["commits"] = [{**commit, "added": [*names, files["last"]]}]
    raw = orjson.dumps(payload)
    return urlencode({"payload": raw.decode()}).encode() if case.get("form") else raw


def headers_of(case: dict[str, Any], body: bytes) -> dict[str, str]:
    headers = {str(k): str(v) for k, v in case["headers"].items()}
    sign = case.get("sign")
    if sign:
        secret = next(iter(case["secrets"].values()))
        key = ("not-" + secret) if sign.get("wrong") else secret
        digest = hmac.new(key.encode(), body, getattr(hashlib, sign["digest"])).hexdigest()
        names = sign["header"] if isinstance(sign["header"], list) else [sign["header"]]
        for name in names:
            headers[name] = f"{sign['prefix']}{digest}"
    return headers


async def refreshed_apps(api: ApiHarness) -> list[str]:
    if api.ctx.webhooks is not None:
        await api.ctx.webhooks.join()
    apps = api.fake.objects("Application", namespace=NS)
    return sorted(
        a["metadata"]["name"] for a in apps if REFRESH in (a["metadata"].get("annotations") or {})
    )


async def refresh_levels(api: ApiHarness) -> set[str]:
    apps = api.fake.objects("Application", namespace=NS)
    return {(a["metadata"].get("annotations") or {}).get(REFRESH, "") for a in apps} - {""}


async def post_case(api: ApiHarness, case: dict[str, Any]) -> tuple[int, str]:
    body = body_of(case)
    query = urlencode(case.get("query") or {})
    url = f"/api/webhook?{query}" if query else "/api/webhook"
    answer = await api.http.post(url, content=body, headers=headers_of(case, body))
    return answer.status_code, answer.text


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_webhook_case(case: dict[str, Any]) -> None:
    async def run() -> None:
        async with api_on(fake_with_apps(case.get("secrets") or {})) as api:
            await until("the apps", lambda: len(api.ctx.mirror.apps()) == len(APPS))
            status, text = await post_case(api, case)
            assert status == case["status"], text
            assert text.rstrip("\n") == case.get("message", "")
            assert await refreshed_apps(api) == sorted(case["refreshed"])
            if case.get("refreshed"):
                assert await refresh_levels(api) == {case.get("level", "normal")}

    asyncio.run(run())


def test_the_answer_does_not_tell_whether_apps_use_the_repository() -> None:
    used = next(c for c in CASES if c["name"].startswith("github push without a secret"))
    unused = next(c for c in CASES if c["name"].startswith("github push of a repository no"))

    async def run() -> None:
        async with api_on(fake_with_apps({})) as api:
            await until("the apps", lambda: len(api.ctx.mirror.apps()) == len(APPS))
            first = await api.http.post(
                "/api/webhook", content=body_of(used), headers=used["headers"]
            )
            second = await api.http.post(
                "/api/webhook", content=body_of(unused), headers=unused["headers"]
            )
            assert (first.status_code, first.content) == (second.status_code, second.content)
            assert {k for k in first.headers if k != "date"} == {
                k for k in second.headers if k != "date"
            }

    asyncio.run(run())
