"""Path confinement: nothing a repository says may make us read outside its root.

Contracts:

- :func:`confine` turns a repository-supplied relative path into a real path inside ``root``;
  absolute paths, ``..`` escapes and symlinks resolving outside ``root`` are RenderErrors;
- :func:`walk` lists regular files under a directory without following symlinked directories
  (no loops) and fails on any symlink that points outside the root, like Argo CD's
  out-of-bounds symlink check;
- :func:`check_tree` applies the same symlink check to a whole tree (before tools see it).
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from kapstan.render.base import RenderError

_SKIP_DIRS = frozenset({".git"})


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def confine(root: Path, rel: str, *, what: str, base: Path | None = None) -> Path:
    """Resolve ``rel`` (relative to ``base``, default ``root``) and require it inside ``root``.

    ``root`` must already be resolved. The result is resolved (symlinks followed), so later
    opens cannot be redirected out of the root by a symlink in the middle of the path.
    """
    if not rel:
        rel = "."
    if PurePosixPath(rel).is_absolute() or Path(rel).is_absolute():
        raise RenderError(f"{what}: absolute path {rel!r} is not allowed", file=rel)
    start = base if base is not None else root
    candidate = (start / rel).resolve()
    if not _inside(candidate, root):
        raise RenderError(f"{what}: path {rel!r} escapes the repository root", file=rel)
    return candidate


def relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` in POSIX form, for provenance and messages."""
    return path.relative_to(root).as_posix()


def _check_link(entry: os.DirEntry[str], root: Path) -> Path:
    target = Path(entry.path).resolve()
    if not _inside(target, root):
        raise RenderError(
            "symlink points outside the repository", file=relative(Path(entry.path), root)
        )
    return target


def walk(top: Path, root: Path, *, recurse: bool) -> list[Path]:
    """Regular files under ``top`` (sorted by relative path); see the module contract."""
    files: list[Path] = []
    pending = [top]
    while pending:
        current = pending.pop()
        with os.scandir(current) as entries:
            for entry in entries:
                if entry.is_symlink():
                    target = _check_link(entry, root)
                    if target.is_file():
                        files.append(Path(entry.path))
                    continue  # symlinked directories are not descended (loops, aliasing)
                if entry.is_dir(follow_symlinks=False):
                    if recurse and entry.name not in _SKIP_DIRS:
                        pending.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    files.append(Path(entry.path))
    files.sort(key=lambda p: p.relative_to(top).as_posix())
    return files


def check_tree(top: Path, root: Path) -> None:
    """Fail if any symlink under ``top`` resolves outside ``root``."""
    pending = [top]
    while pending:
        current = pending.pop()
        with os.scandir(current) as entries:
            for entry in entries:
                if entry.is_symlink():
                    _check_link(entry, root)
                elif entry.is_dir(follow_symlinks=False) and entry.name not in _SKIP_DIRS:
                    pending.append(Path(entry.path))
