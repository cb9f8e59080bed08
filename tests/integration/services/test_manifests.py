"""ManifestGenerator end to end: real git repositories (file://), real helm, the render cache.

Spies count git fetches/checkouts and tool runs, so a cache hit is proven to do neither.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest

from kapstan.render import Tools
from kapstan.services.manifests import ManifestGenerationError, ManifestGenerator
from kapstan.source.credentials import RepoCredentials
from kapstan.source.git import GitClient
from kapstan.testing import gitservers
from kapstan.testing.runners import RecordingRunner

APPS = Path(__file__).parents[2] / "unit" / "render" / "testdata" / "apps"


@pytest.fixture(scope="module")
def tools() -> Tools:
    from kapstan.localcluster import Toolchain

    tc = Toolchain()
    helm, kustomize = tc.path("helm"), tc.path("kustomize")
    if not (Path(helm).exists() and Path(kustomize).exists()):
        pytest.fail("helm/kustomize not built: run `make toolchain`")
    return Tools(helm=str(helm), kustomize=str(kustomize), kube_version="v1.31.0")


class Spy:
    """Counts git operations and tool runs."""

    def __init__(self) -> None:
        self.fetch = 0
        self.checkout = 0
        self.ls_remote = 0
        self.runner = RecordingRunner()

    @property
    def tools(self) -> list[str]:
        return self.runner.tools

    def client(self, url: str, creds: RepoCredentials, cache_root: Path) -> GitClient:
        spy = self

        class Counting(GitClient):
            async def fetch(self, revision: str | None = None) -> None:
                spy.fetch += 1
                await super().fetch(revision)

            async def checkout(self, sha: str, dest_root: Path | None = None) -> Path:
                spy.checkout += 1
                return await super().checkout(sha, dest_root)

            async def ls_remote(self, max_age: float = 0.0) -> Any:
                spy.ls_remote += 1
                return await super().ls_remote(max_age)

        return Counting(url, creds, cache_root=cache_root)


@pytest.fixture
def apps_repo(tmp_path: Path) -> Path:
    work = gitservers.init_worktree(tmp_path / "apps")
    shutil.copytree(APPS / "guestbook-helm", work / "guestbook-helm")
    shutil.copytree(APPS / "guestbook-dir", work / "guestbook-dir")
    gitservers.commit_all(work, "apps")
    return work


@pytest.fixture
def values_repo(tmp_path: Path) -> Path:
    work = gitservers.init_worktree(tmp_path / "values")
    shutil.copytree(APPS / "values-repo" / "envs", work / "envs")
    gitservers.commit_all(work, "values")
    return work


def _gen(tmp_path: Path, tools: Tools, spy: Spy) -> ManifestGenerator:
    return ManifestGenerator(
        cache_root=tmp_path / "cache", tools=tools, runner=spy.runner, client_factory=spy.client
    )


def _index(objs: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(o["kind"], o["metadata"]["name"]): o for o in objs}


def test_cache_hit_skips_checkout_and_tools(tmp_path: Path, tools: Tools, apps_repo: Path) -> None:
    spy = Spy()
    gen = _gen(tmp_path, tools, spy)
    source = {"repoURL": apps_repo.as_uri(), "targetRevision": "main", "path": "guestbook-helm"}

    first = asyncio.run(gen.generate(app_name="gb", namespace="demo", source=source))
    assert ("Deployment", "gb-guestbook") in _index(first.objects)
    assert first.rendered == 1
    assert first.cache_hits == 0
    assert spy.checkout == 1
    assert spy.tools == ["helm"]
    fetches = spy.fetch

    second = asyncio.run(gen.generate(app_name="gb", namespace="demo", source=source))
    assert second.objects == first.objects
    assert second.revisions == first.revisions
    assert second.cache_hits == 1
    assert second.rendered == 0
    assert spy.fetch == fetches
    assert spy.checkout == 1
    assert spy.tools == ["helm"]
    # The one extracted tree is kept for the next render of that commit, nowhere else.
    trees = list((tmp_path / "cache").glob("**/checkout-*"))
    assert len(trees) == 1
    assert trees[0].parent.name == "trees"

    # A full SHA needs not even ls-remote.
    calls = spy.ls_remote
    by_sha = {**source, "targetRevision": first.revisions[0]}
    third = asyncio.run(gen.generate(app_name="gb", namespace="demo", source=by_sha))
    assert third.cache_hits == 1
    assert spy.ls_remote == calls
    assert spy.tools == ["helm"]

    # A new commit on the branch invalidates.
    values = apps_repo / "guestbook-helm" / "values.yaml"
    values.write_text(values.read_text().replace("replicaCount: 1", "replicaCount: 3"))
    new_sha = gitservers.commit_all(apps_repo, "scale")
    fourth = asyncio.run(gen.generate(app_name="gb", namespace="demo", source=source))
    assert fourth.revisions == (new_sha,)
    assert fourth.rendered == 1
    assert spy.tools == ["helm", "helm"]
    assert spy.checkout == 2
    assert _index(fourth.objects)[("Deployment", "gb-guestbook")]["spec"]["replicas"] == 3

    # Different render params are a different key.
    other = asyncio.run(gen.generate(app_name="other", namespace="demo", source=source))
    assert other.rendered == 1
    assert ("Deployment", "other-guestbook") in _index(other.objects)


def test_directory_source(tmp_path: Path, tools: Tools, apps_repo: Path) -> None:
    spy = Spy()
    gen = _gen(tmp_path, tools, spy)
    source = {"repoURL": apps_repo.as_uri(), "targetRevision": "HEAD", "path": "guestbook-dir"}
    out = asyncio.run(gen.generate(app_name="gb", source=source))
    assert out.source_types == ("Directory",)
    assert set(_index(out.objects)) == {("Deployment", "guestbook-ui"), ("Service", "guestbook-ui")}
    assert spy.tools == []


def test_multi_source_with_ref(
    tmp_path: Path, tools: Tools, apps_repo: Path, values_repo: Path
) -> None:
    spy = Spy()
    gen = _gen(tmp_path, tools, spy)
    sources = [
        {
            "repoURL": apps_repo.as_uri(),
            "targetRevision": "main",
            "path": "guestbook-helm",
            "helm": {"valueFiles": ["$values/envs/prod-values.yaml"]},
        },
        {"repoURL": values_repo.as_uri(), "targetRevision": "main", "ref": "values"},
        {"repoURL": apps_repo.as_uri(), "targetRevision": "main", "path": "guestbook-dir"},
    ]
    out = asyncio.run(gen.generate(app_name="gb", namespace="demo", sources=sources))
    objs = _index(out.objects)
    deploy = objs[("Deployment", "gb-guestbook")]
    assert deploy["spec"]["replicas"] == 5
    assert deploy["metadata"]["annotations"]["message"] == "from-ref-repo"
    assert ("Service", "guestbook-ui") in objs
    assert out.source_types == ("Helm", "", "Directory")
    assert spy.checkout == 2  # apps repo once (same commit for two sources), values repo once

    again = asyncio.run(gen.generate(app_name="gb", namespace="demo", sources=sources))
    assert again.objects == out.objects
    assert again.cache_hits == 2
    assert spy.checkout == 2

    # A new commit in the values repo invalidates the source that uses it (only).
    (values_repo / "envs" / "prod-values.yaml").write_text("replicaCount: 7\n")
    gitservers.commit_all(values_repo, "scale")
    third = asyncio.run(gen.generate(app_name="gb", namespace="demo", sources=sources))
    assert _index(third.objects)[("Deployment", "gb-guestbook")]["spec"]["replicas"] == 7
    assert third.rendered == 1
    assert third.cache_hits == 1


def test_render_error_is_all_or_nothing(tmp_path: Path, tools: Tools, apps_repo: Path) -> None:
    spy = Spy()
    gen = _gen(tmp_path, tools, spy)
    (apps_repo / "broken").mkdir()
    (apps_repo / "broken" / "bad.yaml").write_text("kind: ConfigMap\nmetadata: [unclosed\n")
    gitservers.commit_all(apps_repo, "broken")
    sources = [
        {"repoURL": apps_repo.as_uri(), "targetRevision": "main", "path": "guestbook-dir"},
        {"repoURL": apps_repo.as_uri(), "targetRevision": "main", "path": "broken"},
    ]
    with pytest.raises(ManifestGenerationError, match=r"bad\.yaml") as err:
        asyncio.run(gen.generate(app_name="gb", sources=sources))
    assert err.value.source_index == 1
    assert len(gen.cache) == 0  # nothing partial was cached
    with pytest.raises(ManifestGenerationError):  # errors are not cached either
        asyncio.run(gen.generate(app_name="gb", sources=sources))
    assert spy.checkout == 1  # both sources and both attempts share one extracted tree


def test_unknown_revision_is_an_error(tmp_path: Path, tools: Tools, apps_repo: Path) -> None:
    gen = ManifestGenerator(cache_root=tmp_path / "cache", tools=tools)
    source = {"repoURL": apps_repo.as_uri(), "targetRevision": "nope", "path": "guestbook-dir"}
    with pytest.raises(ManifestGenerationError, match="nope"):
        asyncio.run(gen.generate(app_name="gb", source=source))
