"""``kapstan proj`` against the API in process: what a user creates, sees and edits, roles and
their tokens' policy lines, sync windows, and the one-line errors."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import yaml

from kapstan.testing.api import api_on
from kapstan.testing.fakekube import FakeKube
from tests.unit.cli.helpers import Cli

NS = "argocd"
TESTDATA = Path(__file__).parent / "testdata"


def _spec(fake: FakeKube, name: str) -> dict[str, Any]:
    found = fake.get_object("AppProject", name, namespace=NS, group="argoproj.io")
    assert found is not None
    spec: dict[str, Any] = found["spec"]
    return spec


def test_create_get_list_set_and_delete(tmp_path: Path) -> None:
    async def body() -> None:
        async with api_on(FakeKube()) as api:
            cli = Cli(api, tmp_path)
            await cli.ok(
                "proj", "create", "team", "--description", "the team",
                "-s", "https://git.example/a.git", "-d", "https://kubernetes.default.svc,team",
                "--allow-cluster-resource", "/Namespace",
            )  # fmt: skip
            spec = _spec(api.fake, "team")
            assert spec["destinations"] == [
                {"server": "https://kubernetes.default.svc", "namespace": "team"}
            ]
            assert spec["clusterResourceWhitelist"] == [{"group": "", "kind": "Namespace"}]

            shown = await cli.ok("proj", "get", "team")
            assert "Description:" in shown
            assert "the team" in shown
            assert "https://kubernetes.default.svc,team" in shown
            as_json = json.loads(await cli.ok("proj", "get", "team", "-o", "json"))
            assert as_json["spec"] == spec
            assert yaml.safe_load(await cli.ok("proj", "get", "team", "-o", "yaml")) == as_json

            listed = (await cli.ok("proj", "list")).splitlines()
            assert listed[0].split()[:4] == ["NAME", "DESCRIPTION", "DESTINATIONS", "SOURCES"]
            assert any(line.startswith("team ") for line in listed)
            assert "team" in (await cli.ok("proj", "list", "-o", "name")).split()

            # Same spec again is fine; a different one needs --upsert.
            again = await cli("proj", "create", "team", "--description", "other")
            assert again.exit_code == 20
            assert "use upsert flag" in again.stderr
            assert len(again.stderr.splitlines()) == 1
            await cli.ok("proj", "create", "team", "--description", "other", "--upsert")
            assert _spec(api.fake, "team")["description"] == "other"

            await cli.ok("proj", "set", "team", "-s", "https://git.example/b.git")
            assert _spec(api.fake, "team")["sourceRepos"] == ["https://git.example/b.git"]

            await cli.ok("proj", "delete", "team")
            missing = await cli("proj", "get", "team")
            assert missing.exit_code == 20
            assert "not found" in missing.stderr

    asyncio.run(body())


def test_create_from_file_and_edit_with_an_editor(tmp_path: Path) -> None:
    manifest = tmp_path / "proj.yaml"
    manifest.write_text(
        yaml.safe_dump(
            {"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
             "metadata": {"name": "filed"}, "spec": {"sourceRepos": ["*"]}}
        )
    )  # fmt: skip
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/description: .*/description: edited/' \"$1\"\n")
    editor.chmod(0o755)

    async def body() -> None:
        async with api_on(FakeKube()) as api:
            cli = Cli(api, tmp_path)
            await cli.ok("proj", "create", "-f", str(manifest), "--description", "x")
            assert _spec(api.fake, "filed")["sourceRepos"] == ["*"]
            import os

            os.environ["EDITOR"] = str(editor)
            try:
                await cli.ok("proj", "edit", "filed")
            finally:
                del os.environ["EDITOR"]
            assert _spec(api.fake, "filed")["description"] == "edited"

    asyncio.run(body())


CASES = [c for c in yaml.safe_load_all((TESTDATA / "proj_list_edits.yaml").read_text()) if c]


def test_list_edits_one_item_at_a_time(tmp_path: Path) -> None:
    async def body() -> None:
        async with api_on(FakeKube()) as api:
            cli = Cli(api, tmp_path)
            for case in CASES:
                argv, key, expected = case["argv"], case["field"], case["expected"]
                await cli.ok("proj", "create", "p", "--upsert", "-s", "https://git.example/a.git",
                             "-d", "https://kubernetes.default.svc,team")  # fmt: skip
                await cli.ok("proj", "set", "p", "--allow-cluster-resource", "/Dummy")
                await cli.ok("proj", "set", "p")  # no flags: nothing changes
                spec = _spec(api.fake, "p")
                spec.pop("clusterResourceWhitelist", None)
                await cli.ok("proj", *argv)
                got = _spec(api.fake, "p").get(key) or []
                if key == "clusterResourceWhitelist":
                    got = [g for g in got if g["kind"] != "Dummy"]
                assert got == expected, argv
            again = await cli(
                "proj", "add-destination", "p", "https://kubernetes.default.svc", "team"
            )
            assert again.exit_code == 20
            assert "already defined" in again.stderr
            same = await cli.ok("proj", "add-source", "p", "https://git.example/a.git")
            assert "already allowed" in same

    asyncio.run(body())


def test_roles_policies_and_tokens(tmp_path: Path) -> None:
    async def body() -> None:
        async with api_on(FakeKube()) as api:
            cli = Cli(api, tmp_path)
            await cli.ok("proj", "create", "p", "-s", "*")
            assert "Role 'ci' created" in await cli.ok("proj", "role", "create", "p", "ci",
                                                      "--description", "for CI")  # fmt: skip
            assert "already exists" in await cli.ok("proj", "role", "create", "p", "ci")
            await cli.ok("proj", "role", "add-policy", "p", "ci", "-a", "sync", "-o", "*")
            await cli.ok("proj", "role", "add-group", "p", "ci", "my-org:ci")
            (role,) = _spec(api.fake, "p")["roles"]
            assert role["policies"] == ["p, proj:p:ci, applications, sync, p/*, allow"]
            assert role["groups"] == ["my-org:ci"]
            listed = (await cli.ok("proj", "role", "list", "p")).splitlines()
            assert listed[0].split() == ["ROLE-NAME", "DESCRIPTION"]
            assert listed[1].split() == ["ci", "for", "CI"]
            shown = await cli.ok("proj", "role", "get", "p", "ci")
            assert "p, proj:p:ci, applications, sync, p/*, allow" in shown
            assert json.loads(await cli.ok("proj", "role", "get", "p", "ci", "-o", "json")) == role
            await cli.ok("proj", "role", "remove-policy", "p", "ci", "-a", "sync", "-o", "*")
            assert _spec(api.fake, "p")["roles"][0]["policies"] == []
            gone = await cli("proj", "role", "remove-policy", "p", "ci", "-a", "get")
            assert gone.exit_code == 20
            assert "does not exist" in gone.stderr
            # Tokens need the account service, which api_on leaves out: one clear line.
            token = await cli("proj", "role", "create-token", "p", "ci", "-e", "1h")
            assert token.exit_code == 20
            assert len(token.stderr.splitlines()) == 1
            bad = await cli("proj", "role", "create-token", "p", "ci", "-e", "soon")
            assert bad.exit_code == 20
            assert "invalid duration" in bad.stderr
            assert "Role 'ci' deleted" in await cli.ok("proj", "role", "delete", "p", "ci")

    asyncio.run(body())


def test_sync_windows(tmp_path: Path) -> None:
    async def body() -> None:
        async with api_on(FakeKube()) as api:
            cli = Cli(api, tmp_path)
            await cli.ok("proj", "create", "p")
            await cli.ok("proj", "windows", "add", "p", "--kind", "deny", "--schedule",
                         "0 22 * * *", "--duration", "1h", "--applications", "a-*,b")  # fmt: skip
            (window,) = _spec(api.fake, "p")["syncWindows"]
            assert window == {"kind": "deny", "schedule": "0 22 * * *", "duration": "1h",
                              "applications": ["a-*", "b"], "timeZone": "UTC"}  # fmt: skip
            await cli.ok("proj", "windows", "enable-manual-sync", "p", "0")
            await cli.ok("proj", "windows", "update", "p", "0", "--duration", "2h")
            (window,) = _spec(api.fake, "p")["syncWindows"]
            assert window["manualSync"] is True
            assert window["duration"] == "2h"
            rows = (await cli.ok("proj", "windows", "list", "p")).splitlines()
            assert rows[0].split()[:3] == ["ID", "STATUS", "KIND"]
            assert rows[1].split()[2] == "deny"
            bad = await cli("proj", "windows", "add", "p", "--kind", "allow", "--schedule",
                            "never", "--duration", "1h")  # fmt: skip
            assert bad.exit_code == 20
            assert "sync window" in bad.stderr
            missing = await cli("proj", "windows", "delete", "p", "3")
            assert missing.exit_code == 20
            assert "not found" in missing.stderr
            await cli.ok("proj", "windows", "delete", "p", "0")
            assert not _spec(api.fake, "p").get("syncWindows")

    asyncio.run(body())
