"""``kapstan app manifests``: the target manifests from Git (at ``--revision``) and the live
ones from the last comparison, as YAML documents."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import yaml

from kapstan.services.manifests import ManifestGenerator
from kapstan.services.snapshots import InMemorySnapshots, Snapshot
from kapstan.testing.api import api_on
from kapstan.testing.fakekube import FakeKube
from kapstan.testing.gitservers import commit_all, init_worktree
from tests.unit.api.conftest import NS, app
from tests.unit.cli.appcli import cli, mirrored

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cfg}}\ndata: {{color: {}}}\n"


def test_git_manifests_at_a_revision_and_live_manifests(tmp_path: Path) -> None:
    work = init_worktree(tmp_path / "work")
    (work / "app").mkdir()
    (work / "app" / "cm.yaml").write_text(CM.format("red"))
    first = commit_all(work, "first")
    (work / "app" / "cm.yaml").write_text(CM.format("blue"))
    commit_all(work, "second")
    source = {"repoURL": work.as_uri(), "path": "app", "targetRevision": "main"}
    live = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"},
            "data": {"color": "green"}}  # fmt: skip
    managed = [
        {"kind": "ConfigMap", "name": "cfg", "liveState": json.dumps(live)},
        {"kind": "ConfigMap", "name": "missing", "liveState": "null"},
    ]

    async def main() -> None:
        fake = FakeKube(namespaces=("default", NS, "guestbook"))
        snapshots = InMemorySnapshots()
        await snapshots.put(Snapshot.of(NS, "guestbook", "t", first, {"nodes": []}, managed))
        generator = ManifestGenerator(cache_root=tmp_path / "cache")
        async with api_on(fake, snapshots=snapshots, manifests=generator) as api:
            fake.put(app("guestbook", source=source))
            await mirrored(api, "guestbook")
            done = await cli(api, "app", "manifests", "guestbook")
            assert done.exit_code == 0, done.stderr
            assert done.stdout.startswith("---\n")
            [cm] = list(yaml.safe_load_all(done.stdout))
            assert cm["data"] == {"color": "blue"}
            old = await cli(api, "app", "manifests", "guestbook", "--revision", first)
            assert next(yaml.safe_load_all(old.stdout))["data"] == {"color": "red"}
            now = await cli(api, "app", "manifests", "guestbook", "--source", "live")
            assert list(yaml.safe_load_all(now.stdout)) == [live]

    asyncio.run(main())
