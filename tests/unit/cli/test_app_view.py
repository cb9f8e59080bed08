"""``kapstan app get|list|history|manifests`` against the API in process: argocd's summary
block and tables, the resource tree, ``-o json`` giving the API's object unchanged, and an
unknown app as the API's one-line error with exit code 20."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import yaml

from kapstan.testing.api import ApiHarness, api_on, bearer
from kapstan.testing.fakekube import FakeKube
from tests.unit.api.conftest import NS, app
from tests.unit.api.resources import deployment, pod, replica_set, serve
from tests.unit.cli.appcli import cli, mirrored

SHA = "1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d"


def synced(name: str, **spec: Any) -> dict[str, Any]:
    obj = app(name, **spec)
    obj["spec"]["source"]["targetRevision"] = "main"
    obj["status"] = {
        "sync": {"status": "Synced", "revision": SHA},
        "health": {"status": "Healthy"},
        "resources": [
            {"version": "v1", "kind": "Service", "namespace": name, "name": "web",
             "status": "Synced", "health": {"status": "Healthy"}},
            {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": name,
             "name": "web", "status": "OutOfSync", "health": {"status": "Progressing"}},
        ],
        "conditions": [{"type": "SyncError", "message": "boom",
                        "lastTransitionTime": "2024-01-01T00:00:00Z"}],
        "history": [
            {"id": 0, "revision": SHA, "deployedAt": "2024-01-01T00:00:00Z",
             "source": {"repoURL": "https://git.example/apps.git", "targetRevision": "main"}},
            {"id": 1, "revision": "f" * 40, "deployedAt": "2024-01-02T00:00:00Z",
             "source": {"repoURL": "https://git.example/apps.git", "targetRevision": "v2"}},
        ],
    }  # fmt: skip
    return obj


def on_api(body: Callable[[ApiHarness], Awaitable[None]]) -> None:
    async def main() -> None:
        fake = FakeKube(namespaces=("default", NS))
        async with api_on(fake) as api:
            fake.put(synced("guestbook"))
            auto = {"automated": {"prune": True}}
            fake.put(synced("other", syncPolicy=auto))
            await mirrored(api, "guestbook")
            await mirrored(api, "other")
            await body(api)

    asyncio.run(main())


def test_get_prints_argocd_summary_conditions_and_resource_table() -> None:
    async def body(api: ApiHarness) -> None:
        done = await cli(api, "app", "get", "guestbook")
        assert done.exit_code == 0, done.stderr
        lines = done.stdout.splitlines()
        assert lines[5] == "Source:"
        assert lines[6] == "- Repo:             https://git.example/apps.git"
        fields = {k.strip(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[:13])}
        assert fields["Name"] == "argocd/guestbook"
        assert fields["Project"] == "default"
        assert fields["Server"] == "https://kubernetes.default.svc"
        assert fields["URL"] == f"{api.base_url}/applications/guestbook"
        assert fields["- Repo"] == "https://git.example/apps.git"
        assert fields["Target"] == "main"
        assert fields["Path"] == "guestbook"
        assert fields["SyncWindow"] == "Sync Allowed"
        assert fields["Sync Policy"] == "Manual"
        assert fields["Sync Status"] == "Synced to main (1a2b3c4)"
        assert fields["Health Status"] == "Healthy"
        assert lines[14].split() == ["CONDITION", "MESSAGE", "LAST", "TRANSITION"]
        assert lines[15].split() == ["SyncError", "boom", "2024-01-01T00:00:00Z"]
        assert lines[17].split() == RESOURCE_HEADERS
        assert [ln.split() for ln in lines[18:]] == [
            ["Service", "guestbook", "web", "Synced", "Healthy"],
            ["apps", "Deployment", "guestbook", "web", "OutOfSync", "Progressing"],
        ]
        auto = await cli(api, "app", "get", "other")
        assert "\nSync Policy:        Automated (Prune)\n" in auto.stdout

    on_api(body)


RESOURCE_HEADERS = ["GROUP", "KIND", "NAMESPACE", "NAME", "STATUS", "HEALTH", "HOOK", "MESSAGE"]


def test_json_and_yaml_are_the_api_objects_unchanged() -> None:
    async def body(api: ApiHarness) -> None:
        direct = await api.http.get("/api/v1/applications/guestbook", headers=bearer("admin"))
        got = await cli(api, "app", "get", "guestbook", "-o", "json")
        assert json.loads(got.stdout) == direct.json()
        as_yaml = await cli(api, "app", "get", "guestbook", "-o", "yaml")
        assert yaml.safe_load(as_yaml.stdout) == direct.json()
        listed = await api.http.get("/api/v1/applications", headers=bearer("admin"))
        got_list = await cli(api, "app", "list", "-o", "json")
        assert json.loads(got_list.stdout) == listed.json()["items"]
        history = await cli(api, "app", "history", "guestbook", "-o", "json")
        assert json.loads(history.stdout) == direct.json()["status"]["history"]

    on_api(body)


def test_an_unknown_app_is_the_apis_message_and_exit_20() -> None:
    async def body(api: ApiHarness) -> None:
        said = await api.http.get("/api/v1/applications/nope", headers=bearer("admin"))
        for argv in (["get", "nope"], ["history", "nope"], ["set", "nope", "--revision", "x"]):
            done = await cli(api, "app", *argv)
            assert done.exit_code == 20, argv
            assert done.stdout == ""
            assert done.stderr == f"error: {said.json()['message']} (HTTP {said.status_code})\n"
        wrong = await cli(api, "app", "get", "guestbook", "-o", "table")
        assert wrong.exit_code == 2
        assert "unknown output format 'table'" in wrong.stderr

    on_api(body)


def test_list_prints_argocd_columns_and_filters() -> None:
    async def body(api: ApiHarness) -> None:
        done = await cli(api, "app", "list")
        assert done.exit_code == 0, done.stderr
        rows = [ln.split() for ln in done.stdout.splitlines()]
        assert rows[0] == [
            "NAME", "CLUSTER", "NAMESPACE", "PROJECT", "STATUS", "HEALTH", "SYNCPOLICY",
            "CONDITIONS", "REPO", "PATH", "TARGET",
        ]  # fmt: skip
        assert rows[1] == [
            "argocd/guestbook", "https://kubernetes.default.svc", "guestbook", "default",
            "Synced", "Healthy", "Manual", "SyncError", "https://git.example/apps.git",
            "guestbook", "main",
        ]  # fmt: skip
        assert rows[2][6] == "Auto-Prune"
        names = await cli(api, "app", "list", "-o", "name", "-l", "team=default")
        assert names.stdout == "argocd/guestbook\nargocd/other\n"
        none = await cli(api, "app", "list", "-o", "name", "-p", "team-a")
        assert none.stdout == ""

    on_api(body)


def test_history_groups_by_source_and_ids() -> None:
    async def body(api: ApiHarness) -> None:
        done = await cli(api, "app", "history", "guestbook")
        rows = [ln.split() for ln in done.stdout.splitlines()]
        assert rows == [
            ["SOURCE", "https://git.example/apps.git"],
            ["ID", "DATE", "REVISION"],
            ["0", "2024-01-01T00:00:00Z", "main", "(1a2b3c4)"],
            ["1", "2024-01-02T00:00:00Z", "v2", "(fffffff)"],
        ]
        ids = await cli(api, "app", "history", "guestbook", "-o", "id")
        assert ids.stdout == "0\n1\n"

    on_api(body)


def test_get_tree_follows_parent_refs_down_to_pods() -> None:
    def build(fake: FakeKube) -> list[dict[str, Any]]:
        web = fake.put(deployment())
        rs = fake.put(replica_set("web-1", web))
        return [web, rs, fake.put(pod("web-1-a", rs)), fake.put(pod("web-1-b", rs))]

    async def body(api: ApiHarness, _stored: list[dict[str, Any]]) -> None:
        done = await cli(api, "app", "get", "guestbook", "-o", "tree")
        assert done.exit_code == 0, done.stderr
        text = done.stdout.split("\n\n")[-1]
        names = [ln.split()[0] for ln in text.splitlines()]
        assert names == [
            "KIND/NAME",
            "Deployment/web",
            "└─ReplicaSet/web-1",
            "├─Pod/web-1-a",
            "└─Pod/web-1-b",
        ]
        lines = text.splitlines()
        assert lines[3].startswith("  ├─Pod/web-1-a")
        detailed = await cli(api, "app", "get", "guestbook", "-o", "tree=detailed")
        header = detailed.stdout.split("\n\n")[-1].splitlines()[0].split()
        assert header == ["KIND/NAME", "STATUS", "HEALTH", "AGE", "MESSAGE", "REASON"]

    serve(body, build)
