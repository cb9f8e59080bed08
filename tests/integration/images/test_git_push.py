"""Git write-back's commit and push against real git repositories (a bare ``file://`` remote):
a commit lands on the branch; a push race (someone pushed meanwhile) is retried on the new head
and both commits survive; an edit that changes nothing pushes nothing; a missing branch is a
clear error."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from kapstan.source.errors import SourceError
from kapstan.source.gitpush import commit_and_push
from kapstan.testing import gitservers
from kapstan.testing.gitservers import _git


def _remote(tmp_path: Path) -> tuple[Path, Path]:
    work = gitservers.init_worktree(tmp_path / "seed")
    (work / "a.txt").write_text("one\n")
    gitservers.commit_all(work, "seed")
    bare = tmp_path / "remote.git"
    _git(tmp_path, "clone", "--quiet", "--bare", str(work), str(bare))
    return work, bare


def _log(bare: Path) -> list[str]:
    return _git(bare, "log", "--format=%s", "main").splitlines()


def test_commit_lands_on_the_branch(tmp_path: Path) -> None:
    _, bare = _remote(tmp_path)

    def edit(work: Path) -> bool:
        (work / "a.txt").write_text("two\n")
        return True

    sha = asyncio.run(commit_and_push(bare.as_uri(), "main", edit, message="update a"))
    assert sha == _git(bare, "rev-parse", "main")
    assert _log(bare) == ["update a", "seed"]
    assert _git(bare, "show", "main:a.txt") == "two"


def test_a_push_race_is_retried_on_the_new_head_never_forced(tmp_path: Path) -> None:
    seed, bare = _remote(tmp_path)
    _git(seed, "remote", "add", "origin", str(bare))
    calls = 0

    def edit(work: Path) -> bool:
        nonlocal calls
        calls += 1
        if calls == 1:  # someone else pushes between our clone and our push
            (seed / "b.txt").write_text("theirs\n")
            gitservers.commit_all(seed, "their change")
            _git(seed, "push", "--quiet", "origin", "main")
        (work / "a.txt").write_text("ours\n")
        return True

    asyncio.run(commit_and_push(bare.as_uri(), "main", edit, message="our change"))
    assert calls == 2
    assert _log(bare) == ["our change", "their change", "seed"]
    assert _git(bare, "show", "main:b.txt") == "theirs"


def test_no_change_pushes_nothing_and_a_missing_branch_is_an_error(tmp_path: Path) -> None:
    _, bare = _remote(tmp_path)
    assert asyncio.run(commit_and_push(bare.as_uri(), "main", lambda w: False, message="x")) is None
    assert _log(bare) == ["seed"]
    with pytest.raises(SourceError, match="git clone"):
        asyncio.run(commit_and_push(bare.as_uri(), "nope", lambda w: True, message="x"))


def test_push_branch_is_created_from_the_base_once(tmp_path: Path) -> None:
    _, bare = _remote(tmp_path)

    def edit(work: Path) -> bool:
        (work / "a.txt").write_text("proposed\n")
        return True

    url = bare.as_uri()
    sha = asyncio.run(commit_and_push(url, "main", edit, message="propose", push_branch="iu-1"))
    assert sha == _git(bare, "rev-parse", "iu-1")
    assert _log(bare) == ["seed"]  # the base branch is untouched
    again = asyncio.run(commit_and_push(url, "main", edit, message="propose", push_branch="iu-1"))
    assert again is None  # the change set's branch exists: nothing pushed twice
