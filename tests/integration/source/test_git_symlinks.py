"""Symlinks in a repository: in-bounds relative links are checked out as links; an absolute
link or one leading outside the tree (directly, via ``..`` or via other links) makes
``checkout`` refuse the commit with Argo CD's error, leaving nothing behind. Any other failure
to write the tree is a SourceError too, and a cancelled checkout leaves nothing either."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.source import errors
from kapstan.source.git import GitClient
from kapstan.testing.gitservers import commit_all, init_worktree

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "testdata/symlinks.yaml").read_text()
)
ARGO_MESSAGE = "repository contains out-of-bounds symlinks. file: {}"


def _repo(root: Path, links: dict[str, str]) -> tuple[str, str]:
    """A repository with a few real files and ``links``; returns (file URL, commit SHA)."""
    work = init_worktree(root / "repo")
    for name, text in {"app/cm.yaml": "kind: ConfigMap\n", "lib/util.yaml": "util: 1\n"}.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text)
    (work / "base" / "keep").mkdir(parents=True)
    (work / "base" / "keep" / ".gitkeep").write_text("")
    for name, target in links.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, work / name)
    return work.as_uri(), commit_all(work, "symlinks")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_checkout_symlinks(case: dict[str, Any], tmp_path: Path) -> None:
    url, sha = _repo(tmp_path, case["links"])
    trees = tmp_path / "trees"
    trees.mkdir()
    client = GitClient(url, cache_root=tmp_path / "cache")
    if "refused" in case:
        with pytest.raises(errors.OutOfBoundsSymlink) as err:
            asyncio.run(client.checkout(sha, trees))
        assert isinstance(err.value, errors.SourceError)  # what the controller handles
        assert str(err.value).endswith(ARGO_MESSAGE.format(case["refused"]))
        assert url in str(err.value)
        assert (err.value.path, err.value.url, err.value.revision) == (case["refused"], url, sha)
        assert list(trees.iterdir()) == []  # no partial tree
        return
    dest = asyncio.run(client.checkout(sha, trees))
    for name, target in case["links"].items():
        assert (dest / name).is_symlink(), name
        assert os.readlink(dest / name) == target  # kept as the relative link it was
    for link, real in case["reads"].items():
        assert (dest / link).read_text() == (dest / real).read_text() != ""
    assert (dest / "app" / "base" / "keep").is_dir()


def test_git_failing_after_writing_leaves_no_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    url, sha = _repo(tmp_path, {"app/alias.yaml": "cm.yaml"})
    trees = tmp_path / "trees"
    trees.mkdir()
    client = GitClient(url, cache_root=tmp_path / "cache")
    real_git = client._git
    written: list[Path] = []

    async def fail_after_writing(*args: str, **kwargs: Any) -> Any:
        done = await real_git(*args, **kwargs)
        if "checkout-index" in args:  # as a disk filling up after some files
            written.extend(p for p in trees.rglob("*") if p.is_file())
            raise errors.SourceError(f"git failed on {url}: No space left on device", url=url)
        return done

    monkeypatch.setattr(client, "_git", fail_after_writing)
    with pytest.raises(errors.SourceError, match="No space left on device"):
        asyncio.run(client.checkout(sha, trees))
    assert written  # the failure came after something was written
    assert list(trees.iterdir()) == []


def test_unwritable_destination_is_a_source_error(tmp_path: Path) -> None:
    url, sha = _repo(tmp_path, {})
    client = GitClient(url, cache_root=tmp_path / "cache")
    with pytest.raises(errors.SourceError, match=f"cannot create a directory for commit {sha}"):
        asyncio.run(client.checkout(sha, tmp_path / "no" / "such" / "dir"))


def test_cancelled_checkout_leaves_no_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url, sha = _repo(tmp_path, {})
    trees = tmp_path / "trees"
    trees.mkdir()
    client = GitClient(url, cache_root=tmp_path / "cache")
    real_git = client._git
    started = asyncio.Event()

    async def slow_checkout(*args: str, **kwargs: Any) -> Any:
        done = await real_git(*args, **kwargs)
        if "checkout-index" in args:  # the files are written; git is still busy
            started.set()
            await asyncio.sleep(30)
        return done

    monkeypatch.setattr(client, "_git", slow_checkout)

    async def go() -> None:
        task = asyncio.create_task(client.checkout(sha, trees))
        await asyncio.wait_for(started.wait(), 10)
        assert any(trees.rglob("cm.yaml"))
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(go())
    assert list(trees.iterdir()) == []
