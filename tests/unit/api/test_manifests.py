"""``GET /api/v1/applications/{name}/manifests`` and ``.../revisions/{revision}/metadata``
(and ``chartdetails``) over a local git repository and the real ManifestGenerator."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from kapstan.localcluster.process import capture
from kapstan.services.manifests import ManifestGenerator, ManifestService
from kapstan.testing.api import ApiHarness, api_on, bearer
from kapstan.testing.fakekube import FakeKube
from kapstan.testing.fakes import install_into, until
from kapstan.testing.gitservers import commit_all, init_worktree
from tests.unit.api.conftest import NS, app

APP_NS = "guestbook"
MANIFESTS = "/api/v1/applications/guestbook/manifests"
PASSWORD = base64.b64encode(b"hunter2").decode()
CM = """apiVersion: v1
kind: ConfigMap
metadata: {{name: cfg}}
data: {{color: {color}}}
"""
SECRET = f"""apiVersion: v1
kind: Secret
metadata: {{name: creds}}
data: {{password: {PASSWORD}}}
"""
ROLE = """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules: []
"""


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, list[str]]:
    """A repository with two commits of ``app/`` (the first tagged ``v1``)."""
    work = init_worktree(tmp_path / "work")
    (work / "app").mkdir()
    (work / "app" / "cm.yaml").write_text(CM.format(color="red"))
    (work / "app" / "secret.yaml").write_text(SECRET)
    (work / "app" / "role.yaml").write_text(ROLE)
    first = commit_all(work, "first\n\nwith a body")
    capture(["git", "-C", str(work), "tag", "v1", first])
    (work / "app" / "cm.yaml").write_text(CM.format(color="blue"))
    second = commit_all(work, "second")
    return work, [first, second]


Body = Callable[[ApiHarness], Awaitable[None]]


def run(body: Body, spec: dict[str, Any], manifests: ManifestService | None) -> None:
    async def main() -> None:
        fake = FakeKube(namespaces=("default", NS, APP_NS))
        install_into(fake, NS)
        fake.put(app("guestbook", **spec))
        async with api_on(fake, manifests=manifests) as api:
            await until("the app is mirrored", lambda: api.ctx.mirror.app("guestbook"))
            await body(api)

    asyncio.run(main())


def _spec(work: Path, **source: Any) -> dict[str, Any]:
    return {
        "source": {"repoURL": work.as_uri(), "path": "app", "targetRevision": "main", **source},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": APP_NS},
    }


def _generator(tmp_path: Path) -> ManifestGenerator:
    return ManifestGenerator(cache_root=tmp_path / "cache")


def test_manifests_as_a_sync_would_write_them(repo: tuple[Path, list[str]], tmp_path: Path) -> None:
    work, (_first, second) = repo

    async def body(api: ApiHarness) -> None:
        resp = await api.http.get(MANIFESTS, headers=bearer("admin"))
        assert resp.status_code == 200, resp.text
        got = resp.json()
        assert (got["namespace"], got["server"]) == (APP_NS, "https://kubernetes.default.svc")
        assert (got["revision"], got["sourceType"]) == (second, "Directory")
        objs = {m["kind"]: m for m in map(json.loads, got["manifests"])}
        cm = objs["ConfigMap"]
        assert cm["metadata"]["namespace"] == APP_NS
        assert cm["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"] == (
            f"guestbook:/ConfigMap:{APP_NS}/cfg"
        )
        assert cm["data"] == {"color": "blue"}
        assert "namespace" not in objs["ClusterRole"]["metadata"]
        assert objs["Secret"]["data"] == {"password": "++++++++"}
        assert PASSWORD not in resp.text
        assert got["manifests"][0] == json.dumps(
            json.loads(got["manifests"][0]), sort_keys=True, separators=(",", ":")
        )

    run(body, _spec(work), _generator(tmp_path))


def test_manifests_at_another_revision(repo: tuple[Path, list[str]], tmp_path: Path) -> None:
    work, (first, _second) = repo

    async def body(api: ApiHarness) -> None:
        resp = await api.http.get(MANIFESTS, params={"revision": first}, headers=bearer("admin"))
        assert resp.status_code == 200, resp.text
        assert resp.json()["revision"] == first
        cm = next(json.loads(m) for m in resp.json()["manifests"] if '"ConfigMap"' in m)
        assert cm["data"] == {"color": "red"}
        tagged = await api.http.get(MANIFESTS, params={"revision": "v1"}, headers=bearer("admin"))
        assert tagged.json()["revision"] == first

    run(body, _spec(work), _generator(tmp_path))


def test_multi_source_positions(repo: tuple[Path, list[str]], tmp_path: Path) -> None:
    work, (first, _second) = repo
    source = _spec(work)["source"]
    spec = {"sources": [source], "destination": _spec(work)["destination"]}
    spec["source"] = None

    async def body(api: ApiHarness) -> None:
        resp = await api.http.get(
            MANIFESTS,
            params={"sourcePositions": "1", "revisions": first},
            headers=bearer("admin"),
        )
        assert resp.status_code == 200, resp.text
        cm = next(json.loads(m) for m in resp.json()["manifests"] if '"ConfigMap"' in m)
        assert cm["data"] == {"color": "red"}
        bad = await api.http.get(
            MANIFESTS, params={"sourcePositions": "2", "revisions": first}, headers=bearer("admin")
        )
        assert bad.status_code == 500
        assert bad.json()["message"] == "source position is out of range"

    run(body, spec, _generator(tmp_path))


def test_a_generation_failure_is_code_2(repo: tuple[Path, list[str]], tmp_path: Path) -> None:
    work, _ = repo

    async def body(api: ApiHarness) -> None:
        resp = await api.http.get(
            MANIFESTS, params={"revision": "no-such-branch"}, headers=bearer("admin")
        )
        assert resp.status_code == 500
        assert resp.json()["code"] == 2
        assert resp.json()["message"].startswith("error generating manifests: ")

    run(body, _spec(work), _generator(tmp_path))


def test_without_a_manifest_service_it_is_unavailable(repo: tuple[Path, list[str]]) -> None:
    work, _ = repo

    async def body(api: ApiHarness) -> None:
        resp = await api.http.get(MANIFESTS, headers=bearer("admin"))
        assert resp.status_code == 503

    run(body, _spec(work), None)


def test_revision_metadata(repo: tuple[Path, list[str]], tmp_path: Path) -> None:
    work, (first, second) = repo

    async def body(api: ApiHarness) -> None:
        path = "/api/v1/applications/guestbook/revisions/{}/metadata"
        resp = await api.http.get(path.format(first), headers=bearer("admin"))
        assert resp.status_code == 200, resp.text
        assert resp.json() == {
            "author": "Test <test@example.com>",
            "date": "2024-01-01T00:00:00Z",
            "message": "first\n\nwith a body",
            "tags": ["v1"],
        }
        latest = await api.http.get(path.format(second), headers=bearer("admin"))
        assert latest.json()["message"] == "second"
        assert "tags" not in latest.json()
        missing = await api.http.get(path.format("f" * 40), headers=bearer("admin"))
        assert missing.status_code == 500
        bad_index = await api.http.get(
            path.format(first), params={"sourceIndex": "1"}, headers=bearer("admin")
        )
        assert bad_index.json()["message"] == (
            "source index 1 not found because there are only 0 sources"
        )

    run(body, _spec(work), _generator(tmp_path))


def test_revision_metadata_of_a_history_entry(repo: tuple[Path, list[str]], tmp_path: Path) -> None:
    work, (first, _second) = repo
    spec = _spec(work, repoURL="https://git.example/moved.git")

    async def body(api: ApiHarness) -> None:
        history = [{"id": 3, "revision": first, "source": _spec(work)["source"]}]
        api.fake.edit(
            "Application",
            "guestbook",
            NS,
            change={"status": {"history": history}},
            group="argoproj.io",
        )
        await until(
            "the history is mirrored",
            lambda: ((api.ctx.mirror.app("guestbook") or {}).get("status") or {}).get("history"),
        )
        path = f"/api/v1/applications/guestbook/revisions/{first}/metadata"
        resp = await api.http.get(path, params={"versionId": "3"}, headers=bearer("admin"))
        assert resp.status_code == 200, resp.text
        assert resp.json()["message"] == "first\n\nwith a body"
        unknown = await api.http.get(path, params={"versionId": "9"}, headers=bearer("admin"))
        assert unknown.json()["message"] == "revision history not found for version ID 9"

    run(body, spec, _generator(tmp_path))


def test_chart_details(repo: tuple[Path, list[str]], tmp_path: Path) -> None:
    work, _ = repo

    async def body(api: ApiHarness) -> None:
        resp = await api.http.get(
            "/api/v1/applications/guestbook/revisions/1.0.0/chartdetails", headers=bearer("admin")
        )
        assert resp.status_code == 500
        assert resp.json()["message"] == "no chart found for application: guestbook"

    run(body, _spec(work), _generator(tmp_path))
