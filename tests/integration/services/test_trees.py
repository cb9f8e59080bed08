"""Shared commit trees: one extraction per commit, the newest few kept, none removed in use."""

from __future__ import annotations

import asyncio
from pathlib import Path

from kapstan.services.trees import TreeCache
from kapstan.source.git import GitClient
from kapstan.testing import gitservers


def test_trees_are_shared_kept_for_the_newest_commits_and_never_removed_in_use(
    tmp_path: Path,
) -> None:
    work = gitservers.init_worktree(tmp_path / "repo")
    shas = []
    for i in range(5):
        (work / "file.txt").write_text(f"{i}\n")
        shas.append(gitservers.commit_all(work, f"c{i}"))
    client = GitClient(work.as_uri(), cache_root=tmp_path / "git")
    trees = TreeCache(tmp_path / "trees", keep=2)

    async def scenario() -> None:
        async with trees.tree(client, "repo", shas[0]) as first:
            held = first
            async with trees.tree(client, "repo", shas[0]) as again:
                assert again == first  # shared, not extracted twice
            for sha in shas[1:]:
                async with trees.tree(client, "repo", sha) as path:
                    assert (path / "file.txt").read_text() == f"{shas.index(sha)}\n"
            assert held.exists()  # older than the newest 2, but still in use
        assert not held.exists()  # released: evicted at once

    asyncio.run(scenario())
    assert trees.extractions == 5
    kept = sorted(p.name for p in (tmp_path / "trees").iterdir())
    assert len(kept) == 2
    assert all(shas[3][:12] in k or shas[4][:12] in k for k in kept)
