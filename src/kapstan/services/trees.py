"""Extracted commit trees shared by renders.

Contract of :class:`TreeCache`: :meth:`TreeCache.tree` yields a directory holding the tree of
commit ``sha`` of a repository, extracted once and shared by every render of that commit (a
hundred apps in one repository cost one checkout, not a hundred). Renders only read it
(Kustomize works on its own copy). A tree stays while in use; per repository the ``keep``
most recently extracted commits are kept, older unused ones are deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

from kapstan.source.git import GitClient


class TreeCache:
    """Shared, read-only commit trees under ``root`` (see the module contract)."""

    def __init__(self, root: Path, keep: int = 3) -> None:
        self.root = root
        self.keep = keep
        self._trees: dict[tuple[str, str], Path] = {}
        self._order: dict[str, list[str]] = {}
        self._users: Counter[tuple[str, str]] = Counter()
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self.extractions = 0  # for tests and benchmarks

    @contextlib.asynccontextmanager
    async def tree(self, client: GitClient, repo: str, sha: str) -> AsyncIterator[Path]:
        """The tree of ``sha`` in ``client``'s repository (``repo`` is its cache key)."""
        key = (repo, sha)
        self._users[key] += 1  # held from here, so eviction never removes it under us
        try:
            async with self._locks.setdefault(key, asyncio.Lock()):
                path = self._trees.get(key)
                if path is None or not path.exists():
                    self.root.mkdir(parents=True, exist_ok=True)
                    path = await client.checkout(sha, self.root)
                    self.extractions += 1
                    self._trees[key] = path
                    order = self._order.setdefault(repo, [])
                    if sha in order:
                        order.remove(sha)
                    order.append(sha)
            yield path
        finally:
            self._users[key] -= 1
            self._evict(repo)

    def _evict(self, repo: str) -> None:
        order = self._order.get(repo, [])
        for sha in list(order[: max(0, len(order) - self.keep)]):
            key = (repo, sha)
            if self._users[key] > 0:
                continue
            order.remove(sha)
            del self._users[key]
            self._locks.pop(key, None)
            path = self._trees.pop(key, None)
            if path is not None:
                shutil.rmtree(path, ignore_errors=True)


__all__ = ["TreeCache"]
