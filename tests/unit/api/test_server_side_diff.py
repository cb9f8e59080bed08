"""``GET /api/v1/applications/{name}/server-side-diff`` over a local git repository (branches
``main`` and ``feature``), the real ManifestGenerator and live objects in the fake cluster:
table-driven from ``testdata/server_side_diff.yaml``."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.localcluster.process import capture
from kapstan.services.manifests import ManifestGenerator
from kapstan.testing.api import api_on, bearer
from kapstan.testing.fakekube import FakeKube
from kapstan.testing.fakes import install_into, until
from kapstan.testing.gitservers import commit_all, init_worktree
from tests.unit.api.conftest import NS, app, rules

APP_NS = "guestbook"
PATH = "/api/v1/applications/guestbook/server-side-diff"
PASSWORD = "aHVudGVyMg=="
CASES = yaml.safe_load((Path(__file__).parent / "testdata" / "server_side_diff.yaml").read_text())


def _cm(name: str, data: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


SECRET = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"},
          "data": {"password": PASSWORD}}  # fmt: skip


def make_repo(root: Path) -> Path:
    """``main``: cfg (red) and creds; ``feature``: cfg blue and a new ConfigMap."""
    work = init_worktree(root / "work")
    (work / "app").mkdir()
    (work / "app" / "cfg.yaml").write_text(yaml.safe_dump(_cm("cfg", {"color": "red"})))
    (work / "app" / "creds.yaml").write_text(yaml.safe_dump(SECRET))
    commit_all(work, "main")
    capture(["git", "-C", str(work), "checkout", "-q", "-b", "feature"])
    (work / "app" / "cfg.yaml").write_text(yaml.safe_dump(_cm("cfg", {"color": "blue"})))
    (work / "app" / "new.yaml").write_text(yaml.safe_dump(_cm("new", {"x": "1"})))
    commit_all(work, "feature")
    capture(["git", "-C", str(work), "checkout", "-q", "main"])
    return work


def live(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` as a sync left it in the app's namespace (tracked by annotation)."""
    meta = obj["metadata"]
    tracking = f"guestbook:/{obj['kind']}:{APP_NS}/{meta['name']}"
    annotations = {"argocd.argoproj.io/tracking-id": tracking}
    return {**obj, "metadata": {**meta, "namespace": APP_NS, "annotations": annotations}}


def change(item: dict[str, Any]) -> str | None:
    target, current = json.loads(item["targetState"]), json.loads(item["liveState"])
    what = "added" if current is None else "removed" if target is None else "modified"
    return f"{item['kind']}/{item['name']} {what}" if item["modified"] else None


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_server_side_diff(case: dict[str, Any], tmp_path: Path) -> None:
    work = make_repo(tmp_path)

    async def main() -> None:
        fake = FakeKube(namespaces=("default", NS, APP_NS))
        install_into(fake, NS)
        source = {"repoURL": work.as_uri(), "path": "app", "targetRevision": "main"}
        fake.put(app("guestbook", source=source))
        for obj in (_cm("cfg", {"color": "red"}), SECRET, _cm("old", {"x": "1"})):
            fake.put(live(obj))
        generator = ManifestGenerator(cache_root=tmp_path / "cache")
        async with api_on(fake, manifests=generator, rules=rules()) as api:
            await until("the app is mirrored", lambda: api.ctx.mirror.app("guestbook"))
            resp = await api.http.get(PATH, params=case["params"], headers=bearer(case["caller"]))
            assert resp.status_code == case["status"], resp.text
            assert PASSWORD not in resp.text
            if "code" in case:
                assert resp.json()["code"] == case["code"]
            if resp.status_code != 200:
                return
            got = resp.json()
            assert got["modified"] is case["modified"]
            assert [c for c in map(change, got["items"]) if c] == case["changes"]
            cfg = next(i for i in got["items"] if i["name"] == "cfg")
            if cfg["modified"]:
                assert "-  color: red\n+  color: blue" in cfg["diff"]
            creds = next(i for i in got["items"] if i["kind"] == "Secret")
            assert json.loads(creds["liveState"])["data"]["password"].startswith("+")

    asyncio.run(main())
