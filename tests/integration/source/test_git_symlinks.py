"""Symlinks in a repository: in-bounds relative links are checked out as links; an absolute
link or one leading outside the tree (directly, via ``..`` or via other links) makes
``checkout`` refuse the commit with Argo CD's error, leaving nothing behind. Any other failure
to unpack is a SourceError too."""

from __future__ import annotations

import asyncio
import errno
import os
import re
import tarfile
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.source import errors
from kapstan.source import git as git_module
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


def test_unreadable_archive_is_a_source_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    url, sha = _repo(tmp_path, {})
    trees = tmp_path / "trees"
    trees.mkdir()
    client = GitClient(url, cache_root=tmp_path / "cache")
    real_git = client._git

    async def corrupt_archive(*args: str, **kwargs: Any) -> Any:
        done = await real_git(*args, **kwargs)
        if args[0] == "archive":
            return type(done)(stdout=b"not a tar archive" * 100, stderr="")
        return done

    monkeypatch.setattr(client, "_git", corrupt_archive)
    expected = re.escape(f"cannot unpack commit {sha} of {url}: ReadError")
    with pytest.raises(errors.SourceError, match=expected):
        asyncio.run(client.checkout(sha, trees))
    assert list(trees.iterdir()) == []


def test_disk_full_is_a_source_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url, sha = _repo(tmp_path, {"app/alias.yaml": "cm.yaml"})
    trees = tmp_path / "trees"
    trees.mkdir()
    real_makefile = tarfile.TarFile.makefile  # writes one regular file's contents
    written: list[str] = []

    def makefile_then_fail(self: tarfile.TarFile, tarinfo: Any, targetpath: str) -> None:
        if written:  # the first file is written: the failure leaves a partial tree on disk
            raise OSError(errno.ENOSPC, "No space left on device")
        real_makefile(self, tarinfo, targetpath)
        written.append(targetpath)

    monkeypatch.setattr(tarfile.TarFile, "makefile", makefile_then_fail)
    client = GitClient(url, cache_root=tmp_path / "cache")
    with pytest.raises(errors.SourceError, match=r"OSError: .*No space left on device"):
        asyncio.run(client.checkout(sha, trees))
    assert written  # the failure came after something was written
    assert list(trees.iterdir()) == []


def test_cancelled_checkout_leaves_no_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url, sha = _repo(tmp_path, {})
    trees = tmp_path / "trees"
    trees.mkdir()
    started, release, finished = threading.Event(), threading.Event(), threading.Event()

    def slow_extract(archive: bytes, dest: Path) -> None:
        started.set()
        release.wait(10)
        (dest / "written-after-cancel").write_text("x")  # the thread outlives the task
        finished.set()

    monkeypatch.setattr(git_module, "_extract", slow_extract)
    client = GitClient(url, cache_root=tmp_path / "cache")

    async def go() -> None:
        task = asyncio.create_task(client.checkout(sha, trees))
        await asyncio.to_thread(started.wait, 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        release.set()
        await asyncio.to_thread(finished.wait, 10)
        for _ in range(100):  # the clean-up runs as a callback once the thread returns
            if not any(trees.iterdir()):
                break
            await asyncio.sleep(0.01)

    asyncio.run(go())
    assert finished.is_set()
    assert list(trees.iterdir()) == []
