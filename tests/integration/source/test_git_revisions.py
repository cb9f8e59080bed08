"""Every targetRevision form resolves to the right commit over file://, HTTP and SSH."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.source import errors
from kapstan.source.git import GitClient
from kapstan.testing.gitservers import GitRepoFixture

from .conftest import Remote

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "testdata/revisions.yaml").read_text()
)


def _revision(text: str, repo: GitRepoFixture) -> str:
    kind, _, label = text.partition(":")
    if kind == "sha" and label:
        return repo.commits[label]
    if kind == "short" and label:
        return repo.commits[label][:8]
    return text


@pytest.mark.parametrize("case", CASES, ids=lambda c: repr(c["revision"]))
def test_resolve(case: dict[str, Any], remote: Remote, git_repo: GitRepoFixture, cache_root: Path):
    client = GitClient(remote.url, remote.credentials, cache_root=cache_root)
    revision = _revision(case["revision"], git_repo)
    if "error" in case:
        with pytest.raises(getattr(errors, case["error"])) as err:
            asyncio.run(client.resolve(revision))
        assert remote.url.split("@")[-1] in str(err.value)  # names the repository
        return
    assert asyncio.run(client.resolve(revision)) == git_repo.commits[case["expect"]]


def test_checkout_exports_the_commit_tree(
    remote: Remote, git_repo: GitRepoFixture, cache_root: Path, tmp_path: Path
) -> None:
    client = GitClient(remote.url, remote.credentials, cache_root=cache_root)

    async def go() -> list[Path]:
        sha = await client.resolve("v1.2.3")
        return [await client.checkout(sha, tmp_path), await client.checkout(sha, tmp_path)]

    first, second = asyncio.run(go())
    try:
        assert first != second  # each call gets its own directory
        assert (first / "version.txt").read_text() == "c2\n"
        assert (first / "app" / "cm.yaml").exists()
        assert not (first / ".git").exists()
    finally:
        shutil.rmtree(first)
        shutil.rmtree(second)


def test_ls_remote(remote: Remote, git_repo: GitRepoFixture, cache_root: Path) -> None:
    refs = asyncio.run(GitClient(remote.url, remote.credentials, cache_root=cache_root).ls_remote())
    assert refs.head == "refs/heads/main"
    assert refs.branches["feature/x"] == git_repo.commits["f1"]
    assert refs.tags["v1.0.0"] == git_repo.commits["c1"]  # peeled


def test_checkout_of_unknown_commit(git_repo: GitRepoFixture, cache_root: Path) -> None:
    client = GitClient(git_repo.file_url, cache_root=cache_root)
    with pytest.raises(errors.RevisionNotFound):
        asyncio.run(client.checkout("0" * 40))
