"""``kapstan app set|unset|edit|patch`` against the API in process: what reaches the stored
Application, argocd's silence on success, the editor round trip."""

from __future__ import annotations

import asyncio
import json
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from kapstan.testing.api import ApiHarness, api_on
from kapstan.testing.fakekube import FakeKube
from tests.unit.api.conftest import NS, app
from tests.unit.cli.appcli import cli, mirrored, stored


def helm_app() -> dict[str, Any]:
    obj = app("guestbook")
    obj["spec"]["source"]["helm"] = {
        "parameters": [{"name": "a", "value": "1"}, {"name": "b", "value": "2"}],
        "valueFiles": ["one.yaml", "two.yaml"],
    }
    return obj


def on_api(body: Callable[[ApiHarness], Awaitable[None]]) -> None:
    async def main() -> None:
        fake = FakeKube(namespaces=("default", NS))
        async with api_on(fake) as api:
            fake.put(helm_app())
            await mirrored(api, "guestbook")
            await body(api)

    asyncio.run(main())


def spec(api: ApiHarness) -> dict[str, Any]:
    found = stored(api, "guestbook")
    assert found is not None
    result: dict[str, Any] = found["spec"]
    return result


def test_set_changes_only_what_the_flags_name() -> None:
    async def body(api: ApiHarness) -> None:
        done = await cli(
            api, "app", "set", "guestbook", "--revision", "v3", "--helm-set", "a=9",
            "--sync-policy", "automated", "--self-heal", "--dest-namespace", "prod",
            "--kustomize-image", "nginx=nginx:1.27",
        )  # fmt: skip
        assert done.exit_code == 0, done.stderr
        assert done.stdout == ""
        got = spec(api)
        assert got["source"]["targetRevision"] == "v3"
        assert got["source"]["path"] == "guestbook"
        assert got["source"]["helm"]["parameters"] == [
            {"name": "a", "value": "9"},
            {"name": "b", "value": "2"},
        ]
        assert got["source"]["kustomize"] == {"images": ["nginx=nginx:1.27"]}
        assert got["destination"]["namespace"] == "prod"
        assert got["syncPolicy"] == {"automated": {"selfHeal": True}}

        await mirrored(api, "guestbook", lambda a: "syncPolicy" in a["spec"])
        off = await cli(api, "app", "set", "guestbook", "--sync-policy", "none")
        assert off.exit_code == 0, off.stderr
        assert "automated" not in spec(api).get("syncPolicy", {})

        nothing = await cli(api, "app", "set", "guestbook")
        assert nothing.exit_code == 1
        assert "Please set at least one option to update" in nothing.stderr

        orphan = await cli(api, "app", "set", "guestbook", "--self-heal")
        assert orphan.exit_code == 20
        assert "Cannot set --self-heal: application not configured with automatic sync" in (
            orphan.stderr
        )

    on_api(body)


def test_unset_removes_parameters_and_value_files() -> None:
    async def body(api: ApiHarness) -> None:
        done = await cli(api, "app", "unset", "guestbook", "-p", "a", "--values", "two.yaml")
        assert done.exit_code == 0, done.stderr
        assert spec(api)["source"]["helm"] == {
            "parameters": [{"name": "b", "value": "2"}],
            "valueFiles": ["one.yaml"],
        }

    on_api(body)


def test_edit_writes_back_what_the_editor_changed(tmp_path: Path) -> None:
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import sys, pathlib\n"
        "p = pathlib.Path(sys.argv[1])\n"
        "p.write_text(p.read_text().replace('path: guestbook', 'path: edited'))\n"
    )
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    noop = tmp_path / "noop.py"
    noop.write_text("")

    async def body(api: ApiHarness) -> None:
        python = f"python3 {editor}"
        done = await cli(api, "app", "edit", "guestbook", env={"EDITOR": python})
        assert done.exit_code == 0, done.stderr
        assert spec(api)["source"]["path"] == "edited"
        await mirrored(api, "guestbook", lambda a: a["spec"]["source"]["path"] == "edited")
        same = await cli(api, "app", "edit", "guestbook", env={"EDITOR": f"python3 {noop}"})
        assert same.stdout == "Edit cancelled, no changes made.\n", same.stderr

    on_api(body)


def test_patch_json_and_merge_print_the_patched_app() -> None:
    async def body(api: ApiHarness) -> None:
        ops = json.dumps([{"op": "replace", "path": "/spec/source/path", "value": "p2"}])
        done = await cli(api, "app", "patch", "guestbook", "--patch", ops)
        assert done.exit_code == 0, done.stderr
        assert "path: p2" in done.stdout
        assert spec(api)["source"]["path"] == "p2"
        await mirrored(api, "guestbook", lambda a: a["spec"]["source"]["path"] == "p2")
        merge = json.dumps({"spec": {"source": {"targetRevision": "v9"}}})
        merged = await cli(api, "app", "patch", "guestbook", "--patch", merge, "--type", "merge")
        assert merged.exit_code == 0, merged.stderr
        assert spec(api)["source"]["targetRevision"] == "v9"
        bad = await cli(api, "app", "patch", "guestbook", "--patch", "{nope")
        assert bad.exit_code == 20
        assert "patch must be a JSON document" in bad.stderr

    on_api(body)


def test_set_on_a_multi_source_app_needs_the_source_position() -> None:
    async def body(api: ApiHarness) -> None:
        two = app("multi")
        del two["spec"]["source"]
        two["spec"]["sources"] = [{"repoURL": "https://git.example/a.git"},
                                  {"repoURL": "https://git.example/b.git"}]  # fmt: skip
        api.fake.put(two)
        await mirrored(api, "multi")
        unsaid = await cli(api, "app", "set", "multi", "--revision", "v2")
        assert unsaid.exit_code == 20
        assert "Source position should be specified" in unsaid.stderr
        done = await cli(api, "app", "set", "multi", "--source-position", "2", "--revision", "v2")
        assert done.exit_code == 0, done.stderr
        found = stored(api, "multi")
        assert found is not None
        assert [s.get("targetRevision") for s in found["spec"]["sources"]] == [None, "v2"]

    on_api(body)
