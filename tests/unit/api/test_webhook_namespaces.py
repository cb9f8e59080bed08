"""``POST /api/webhook`` with apps in other namespaces (Argo CD's ``application.namespaces``):
a push refreshes matching apps in every namespace the setting allows, and only there."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from kapstan.model.vocabulary import REFRESH
from kapstan.services.webhooks.namespaces import app_namespaces, namespace_allowed
from kapstan.testing.api import api_on
from kapstan.testing.fakekube import FakeKube
from kapstan.testing.fakes import install_into, until
from tests.unit.api.conftest import NS

REPO = "https://github.com/acme/apps"
PUSH = orjson.dumps(
    {
        "ref": "refs/heads/main",
        "after": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
        "repository": {"html_url": REPO, "default_branch": "main"},
        "commits": [{"modified": ["web/deployment.yaml"]}],
    }
)
HEADERS = {"X-GitHub-Event": "push", "Content-Type": "application/json"}
APPS = [(NS, "home"), ("team-a", "web"), ("team-b", "web"), ("sandbox-1", "web"), ("other", "web")]


def app(namespace: str, name: str) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "project": "default",
            "source": {"repoURL": f"{REPO}.git", "targetRevision": "main", "path": "web"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": name},
        },
    }


def cluster(params: dict[str, str] | None) -> FakeKube:
    fake = FakeKube(namespaces=("default", NS, *{ns for ns, _ in APPS if ns != NS}))
    install_into(fake, NS)
    for namespace, name in APPS:
        fake.put(app(namespace, name))
    if params is not None:
        meta = {"name": "argocd-cmd-params-cm", "namespace": NS}
        fake.put({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": params})
    return fake


def refreshed(fake: FakeKube) -> list[str]:
    found = [
        f"{a['metadata']['namespace']}/{a['metadata']['name']}"
        for namespace in {ns for ns, _ in APPS}
        for a in fake.objects("Application", namespace=namespace)
        if REFRESH in (a["metadata"].get("annotations") or {})
    ]
    return sorted(found)


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (None, [f"{NS}/home"]),
        ("team-a", [f"{NS}/home", "team-a/web"]),
        ("team-*, sandbox-1", [f"{NS}/home", "sandbox-1/web", "team-a/web", "team-b/web"]),
        ("/^sandbox-[0-9]+$/", [f"{NS}/home", "sandbox-1/web"]),
        ("*", [f"{NS}/home", "other/web", "sandbox-1/web", "team-a/web", "team-b/web"]),
    ],
    ids=["unset: own namespace only", "one name", "globs", "regex", "every namespace"],
)
def test_a_push_refreshes_apps_in_the_allowed_namespaces(
    setting: str | None, expected: list[str]
) -> None:
    fake = cluster(None if setting is None else {"application.namespaces": setting})

    async def run() -> None:
        async with api_on(fake) as api:
            await until("the apps", lambda: len(api.ctx.mirror.apps()) == 1)
            answer = await api.http.post("/api/webhook", content=PUSH, headers=HEADERS)
            assert (answer.status_code, answer.text) == (200, "")
            assert api.ctx.webhooks is not None
            await api.ctx.webhooks.join()
            assert refreshed(fake) == expected

    asyncio.run(run())


def test_a_namespace_allowed_after_the_start_counts_at_once() -> None:
    fake = cluster({})

    async def run() -> None:
        async with api_on(fake) as api:
            await until("the apps", lambda: len(api.ctx.mirror.apps()) == 1)
            meta = {"name": "argocd-cmd-params-cm", "namespace": NS}
            data = {"application.namespaces": "team-b"}
            fake.put({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data})
            await until("the setting", lambda: bool(app_namespaces(api.ctx.settings().params)))
            await api.http.post("/api/webhook", content=PUSH, headers=HEADERS)
            assert api.ctx.webhooks is not None
            await api.ctx.webhooks.join()
            assert refreshed(fake) == [f"{NS}/home", "team-b/web"]

    asyncio.run(run())


@pytest.mark.parametrize(
    ("namespace", "patterns", "allowed"),
    [
        ("team-a", ["team-a"], True),
        ("team-ab", ["team-a"], False),
        ("team-a", ["team-*"], True),
        ("xteam-a", ["team-*"], False),
        ("sandbox-12", ["/sandbox-[0-9]+/"], True),
        ("prod", ["/sandbox/", "team-*"], False),
        ("prod", ["/[/"], False),  # not a regular expression: never matches, never raises
    ],
)
def test_namespace_patterns(namespace: str, patterns: list[str], allowed: bool) -> None:
    assert namespace_allowed(namespace, patterns) is allowed


def test_a_refused_cluster_wide_list_still_refreshes_the_own_namespace() -> None:
    fake = cluster({"application.namespaces": "team-*"})

    async def run() -> None:
        async with api_on(fake) as api:
            await until("the apps", lambda: len(api.ctx.mirror.apps()) == 1)
            # the server's service account may list its own namespace only
            fake.fail("/apis/argoproj.io/v1alpha1/applications", 403, method="GET")
            answer = await api.http.post("/api/webhook", content=PUSH, headers=HEADERS)
            assert answer.status_code == 200
            assert api.ctx.webhooks is not None
            await api.ctx.webhooks.join()
            assert refreshed(fake) == [f"{NS}/home"]

    asyncio.run(run())
