"""Per-repository locking: concurrent fetches of one repository serialize and both succeed;
the fcntl lock also holds back work while another process owns the repository."""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from kapstan import proc
from kapstan.source import git as git_module
from kapstan.source.git import GitClient
from kapstan.testing.gitservers import GitRepoFixture


def test_concurrent_fetches_serialize(
    git_repo: GitRepoFixture, cache_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    active = 0
    peak = 0
    fetches = 0
    real_run = proc.run

    async def tracking_run(argv: Sequence[str], **kwargs: Any) -> proc.Completed:
        nonlocal active, peak, fetches
        is_fetch = len(argv) > 1 and argv[1] == "fetch"
        if is_fetch:
            fetches += 1
            active += 1
            peak = max(peak, active)
            await asyncio.sleep(0.2)  # widen the window in which an overlap would show
        try:
            return await real_run(argv, **kwargs)
        finally:
            if is_fetch:
                active -= 1

    monkeypatch.setattr(git_module.proc, "run", tracking_run)
    # Two clients (as two reconcilers would have) for two spellings of the same repository.
    first = GitClient(git_repo.file_url, cache_root=cache_root)
    second = GitClient(git_repo.file_url.removesuffix(".git") + ".git/", cache_root=cache_root)
    assert first.repo_dir == second.repo_dir

    async def go() -> None:
        await asyncio.gather(first.fetch(), second.fetch())

    asyncio.run(go())
    assert fetches == 2
    assert peak == 1
    sha = git_repo.commits["c3"]
    out = asyncio.run(first.checkout(sha, tmp_path))
    assert (out / "version.txt").read_text() == "c3\n"


def test_file_lock_blocks_until_released(git_repo: GitRepoFixture, cache_root: Path) -> None:
    client = GitClient(git_repo.file_url, cache_root=cache_root)
    lock_path = cache_root / f"{client.repo_dir.name}.lock"

    async def go() -> None:
        # Another open file description stands in for another process holding the lock.
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            task = asyncio.ensure_future(client.fetch())
            await asyncio.sleep(0.3)
            assert not task.done()
            fcntl.flock(fd, fcntl.LOCK_UN)
            await asyncio.wait_for(task, 30)
        finally:
            os.close(fd)

    asyncio.run(go())
    assert (client.repo_dir / "HEAD").exists()
