"""``kapstan app diff`` against the API in process: argocd's ``===== GROUP/KIND NS/NAME ======``
blocks of unified YAML diffs, its exit codes (1 with a diff, 0 without, 2 on error), and the
PR preview ``--revision BRANCH`` (summary lines, then the diffs; nothing synced)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.engine.diff import diff_resource
from kapstan.engine.snapshot import managed_resource
from kapstan.model.keys import ResourceKey
from kapstan.services.manifests import ManifestGenerator
from kapstan.services.snapshots import InMemorySnapshots, Snapshot
from kapstan.testing.api import ApiHarness, api_on
from kapstan.testing.cli import CliResult, run
from kapstan.testing.fakekube import FakeKube
from kapstan.testing.fakes import install_into, until
from tests.unit.api.conftest import NS, app
from tests.unit.api.test_server_side_diff import APP_NS, SECRET, _cm, live, make_repo


async def cli(api: ApiHarness, tmp_path: Path, *argv: str) -> CliResult:
    server = api.base_url.removeprefix("http://")
    flags = ["--server", server, "--plaintext", "--auth-token", "token-admin"]
    return await asyncio.to_thread(
        run, [*argv, *flags], env={"KAPSTAN_CONFIG": str(tmp_path / "c")}
    )


def _item(target: dict[str, Any] | None, current: dict[str, Any] | None) -> dict[str, Any]:
    key = ResourceKey.from_obj(target or current or {})
    return managed_resource(key, diff_resource(target, current), target=target, live=current)


def _placed(obj: dict[str, Any]) -> dict[str, Any]:
    return {**obj, "metadata": {**obj["metadata"], "namespace": APP_NS}}


def snapshot(modified: bool) -> Snapshot:
    cfg_live = _placed(_cm("cfg", {"color": "red"}))
    cfg_target = _placed(_cm("cfg", {"color": "blue" if modified else "red"}))
    same = _placed(_cm("same", {"a": "b"}))
    hook = {**_item(same, None), "name": "hook", "hook": True}
    items = [_item(cfg_target, cfg_live), _item(same, same), hook]
    return Snapshot.of(NS, "guestbook", "2026-01-01T00:00:00Z", "abc", {"nodes": []}, items)


async def _with_snapshot(tmp_path: Path, modified: bool, *argv: str) -> CliResult:
    store = InMemorySnapshots()
    await store.put(snapshot(modified))
    fake = FakeKube(namespaces=("default", NS, APP_NS))
    async with api_on(fake, snapshots=store) as api:
        fake.put(app("guestbook"))
        await until("the app is mirrored", lambda: api.ctx.mirror.app("guestbook"))
        return await cli(api, tmp_path, "app", "diff", "guestbook", *argv)


def test_a_diff_exits_1_and_shows_the_changed_field(tmp_path: Path) -> None:
    got = asyncio.run(_with_snapshot(tmp_path, True))
    assert got.exit_code == 1, got.stderr
    assert got.stdout.splitlines()[0] == f"===== /ConfigMap {APP_NS}/cfg ======"
    assert "-  color: red\n+  color: blue\n" in got.stdout
    assert "same" not in got.stdout
    assert "hook" not in got.stdout
    assert got.stderr == ""


def test_no_diff_exits_0_and_exit_code_false_never_1(tmp_path: Path) -> None:
    clean = asyncio.run(_with_snapshot(tmp_path, False))
    assert (clean.exit_code, clean.stdout) == (0, "")
    forgiving = asyncio.run(_with_snapshot(tmp_path, True, "--exit-code=false"))
    assert forgiving.exit_code == 0
    assert "+  color: blue" in forgiving.stdout
    strict = asyncio.run(_with_snapshot(tmp_path, True, "--exit-code"))  # cobra's bare form
    assert strict.exit_code == 1


def test_an_error_exits_2(tmp_path: Path) -> None:
    async def body() -> CliResult:
        async with api_on(FakeKube()) as api:
            return await cli(api, tmp_path, "app", "diff", "nope")

    got = asyncio.run(body())
    assert got.exit_code == 2
    assert got.stderr.startswith("error: ")


def _preview(tmp_path: Path, *argv: str, multi: bool = False) -> tuple[CliResult, FakeKube]:
    work = make_repo(tmp_path)

    async def main() -> tuple[CliResult, FakeKube]:
        fake = FakeKube(namespaces=("default", NS, APP_NS))
        install_into(fake, NS)
        source = {"repoURL": work.as_uri(), "path": "app", "targetRevision": "main"}
        seeded = app("guestbook", source=source)
        if multi:
            seeded["spec"]["sources"] = [seeded["spec"].pop("source")]
        fake.put(seeded)
        for obj in (_cm("cfg", {"color": "red"}), SECRET, _cm("old", {"x": "1"})):
            fake.put(live(obj))
        generator = ManifestGenerator(cache_root=tmp_path / "cache")
        async with api_on(fake, manifests=generator) as api:
            await until("the app is mirrored", lambda: api.ctx.mirror.app("guestbook"))
            return await cli(api, tmp_path, "app", "diff", "guestbook", *argv), fake

    return asyncio.run(main())


def test_revision_previews_a_branch_without_syncing(tmp_path: Path) -> None:
    got, fake = _preview(tmp_path, "--revision", "feature")
    assert got.exit_code == 1, got.stderr
    lines = got.stdout.splitlines()
    assert lines[:4] == [
        f"/ConfigMap {APP_NS}/cfg: modified, 1 field",
        # apiVersion, kind, data.x, metadata.name, .namespace and the tracking annotation
        f"/ConfigMap {APP_NS}/new: added, 6 fields",
        f"/ConfigMap {APP_NS}/old: removed, 6 fields",
        "",
    ]
    assert f"===== /ConfigMap {APP_NS}/cfg ======" in lines
    assert "-  color: red\n+  color: blue\n" in got.stdout
    assert "Secret" not in got.stdout
    cfg = fake.get_object("ConfigMap", "cfg", APP_NS)
    assert cfg is not None
    assert cfg["data"] == {"color": "red"}
    assert fake.get_object("ConfigMap", "new", APP_NS) is None
    stored = fake.get_object("Application", "guestbook", NS, group="argoproj.io")
    assert stored is not None
    assert "operation" not in stored


def test_local_compares_a_directory_of_manifests(tmp_path: Path) -> None:
    local = tmp_path / "local"
    local.mkdir()
    (local / "cfg.yaml").write_text(yaml.safe_dump(_cm("cfg", {"color": "green"})))
    (local / "rest.json").write_text(json.dumps(SECRET) + "\n")
    (local / "old.yml").write_text(yaml.safe_dump(_cm("old", {"x": "1"})))
    got, _ = _preview(tmp_path, "--local", str(local))
    assert got.exit_code == 1, got.stderr
    assert got.stdout.splitlines()[0] == f"/ConfigMap {APP_NS}/cfg: modified, 1 field"
    assert "+  color: green" in got.stdout


def test_drift_forensics_in_get_wide_and_under_the_diffs_headers(tmp_path: Path) -> None:
    drift = [
        {"path": "/data/color", "manager": "kubectl-edit", "operation": "Update",
         "time": "2026-01-02T03:04:05Z"},
        {"path": "/metadata/labels/app.kubernetes.io~1name", "manager": "helm",
         "operation": "Apply"},
    ]  # fmt: skip

    async def body() -> CliResult:
        store = InMemorySnapshots()
        await store.put(snapshot(True))
        fake = FakeKube(namespaces=("default", NS, APP_NS))
        async with api_on(fake, snapshots=store) as api:
            seeded = app("guestbook")
            seeded["status"] = {"resources": [{"group": "", "version": "v1", "kind": "ConfigMap",
                                               "namespace": APP_NS, "name": "cfg",
                                               "status": "OutOfSync", "drift": drift}]}  # fmt: skip
            fake.put(seeded)
            await until("the app is mirrored", lambda: api.ctx.mirror.app("guestbook"))
            wide = await cli(api, tmp_path, "app", "get", "guestbook", "-o", "wide")
            assert wide.exit_code == 0, wide.stderr
            assert "Drift (who changed the cluster behind Git's back):" in wide.stdout
            rows = [line.split() for line in wide.stdout.splitlines()]
            assert ["ConfigMap", APP_NS, "cfg", "data.color", "kubectl-edit", "Update",
                    "2026-01-02T03:04:05Z"] in rows  # fmt: skip
            return await cli(api, tmp_path, "app", "diff", "guestbook")

    got = asyncio.run(body())
    assert got.exit_code == 1, got.stderr
    assert got.stdout.splitlines()[:3] == [
        f"===== /ConfigMap {APP_NS}/cfg ======",
        "# drifted: data.color changed by kubectl-edit (Update) at 2026-01-02T03:04:05Z",
        "# drifted: metadata.labels[app.kubernetes.io/name] changed by helm (Apply)",
    ]


def test_revisions_preview_a_branch_of_one_source(tmp_path: Path) -> None:
    argv = ("--revisions", "feature", "--source-positions", "1")
    got, _ = _preview(tmp_path, *argv, multi=True)
    assert got.exit_code == 1, got.stderr
    assert got.stdout.splitlines()[0] == f"/ConfigMap {APP_NS}/cfg: modified, 1 field"
    unpaired, _ = _preview(tmp_path / "again", "--revisions", "feature", multi=True)
    assert unpaired.exit_code == 2
    assert "in pairs" in unpaired.stderr


def test_local_server_side_generate_uploads_the_directory_for_the_server_to_render(
    tmp_path: Path,
) -> None:
    local = tmp_path / "local"
    local.mkdir()
    (local / "cfg.yaml").write_text(yaml.safe_dump(_cm("cfg", {"color": "green"})))
    (local / "creds.yaml").write_text(yaml.safe_dump(SECRET))
    (local / "notes.txt").write_text("not a manifest\n")
    got, fake = _preview(tmp_path, "--local", str(local), "--server-side-generate")
    assert got.exit_code == 1, got.stderr
    lines = got.stdout.splitlines()
    # The server rendered the upload and compared it with the live objects: the Secret, the
    # same as live, is no difference (its values came back unmasked for the comparison).
    assert lines[:3] == [
        f"/ConfigMap {APP_NS}/cfg: modified, 1 field",
        f"/ConfigMap {APP_NS}/old: removed, 6 fields",
        "",
    ], got.stdout
    assert "+  color: green" in got.stdout
    assert "hunter2" not in got.stdout
    cfg = fake.get_object("ConfigMap", "cfg", APP_NS)
    assert cfg is not None
    assert cfg["data"] == {"color": "red"}


@pytest.mark.parametrize(("marker", "kind"), [("kustomization.yaml", "Kustomize"),
                                              ("Chart.yaml", "Helm")])  # fmt: skip
def test_local_kustomize_or_helm_directory_needs_server_side_generate(
    tmp_path: Path, marker: str, kind: str
) -> None:
    local = tmp_path / "local"
    local.mkdir()
    (local / marker).write_text("resources: []\n")
    got, _ = _preview(tmp_path, "--local", str(local))
    assert got.exit_code == 2, got.stdout
    assert f"is a {kind} directory: add --server-side-generate" in got.stderr
    assert len(got.stderr.splitlines()) == 1


def test_local_server_side_generate_on_a_multi_source_app_takes_the_source_position(
    tmp_path: Path,
) -> None:
    local = tmp_path / "local"
    local.mkdir()
    (local / "cfg.yaml").write_text(yaml.safe_dump(_cm("cfg", {"color": "green"})))
    flags = ("--local", str(local), "--server-side-generate")
    missing, _ = _preview(tmp_path, *flags, multi=True)
    assert missing.exit_code == 2, missing.stdout
    assert "a multi-source app needs sourcePosition" in missing.stderr
    got, _ = _preview(tmp_path / "again", *flags, "--source-positions", "1", multi=True)
    assert got.exit_code == 1, got.stderr
    assert "+  color: green" in got.stdout
