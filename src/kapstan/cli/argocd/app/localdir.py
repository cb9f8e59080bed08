"""The ``--local DIR`` of ``app diff``: what kind of directory it is, its plain manifests, and
the directory packed for the server (``--server-side-generate``).

Contract: :func:`kind_of` says ``Helm`` (a ``Chart.yaml``), ``Kustomize`` (a
``kustomization.yaml``, ``.yml`` or ``Kustomization``) or ``Directory``; :func:`pack` makes a
gzip-compressed tar of DIR's regular files, directories and symbolic links (names relative to
DIR, ``.git`` left out), refusing with :class:`~kapstan.cli.argocd.errors.CommandExit` (exit
2) a directory over the server's limits before anything is sent (the server checks again):
:data:`MAX_FILES` members, :data:`MAX_FILE_SIZE` a file, :data:`MAX_TOTAL_SIZE` in all.
"""

from __future__ import annotations

import io
import tarfile
from enum import StrEnum
from pathlib import Path

from kapstan.cli.argocd.errors import CommandExit

DIFF_ERROR = 2
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
KUSTOMIZATIONS = ("kustomization.yaml", "kustomization.yml", "Kustomization")
# The server's limits (kapstan.api.uploads.ArchiveLimits), so a user hears of them at once.
MAX_FILES = 2000
MAX_FILE_SIZE = 4 * 1024 * 1024
MAX_TOTAL_SIZE = 32 * 1024 * 1024
SKIPPED = (".git",)


class DirKind(StrEnum):
    HELM = "Helm"
    KUSTOMIZE = "Kustomize"
    DIRECTORY = "Directory"


def checked(directory: Path) -> Path:
    if not directory.is_dir():
        raise CommandExit(DIFF_ERROR, f"--local {directory}: not a directory")
    return directory


def kind_of(directory: Path) -> DirKind:
    if (directory / "Chart.yaml").is_file():
        return DirKind.HELM
    if any((directory / name).is_file() for name in KUSTOMIZATIONS):
        return DirKind.KUSTOMIZE
    return DirKind.DIRECTORY


def manifests(directory: Path) -> list[str]:
    """The texts of DIR's ``*.yaml|*.yml|*.json`` files (plain manifests, not rendered)."""
    files = sorted(p for p in directory.rglob("*") if p.suffix in MANIFEST_SUFFIXES)
    return [p.read_text() for p in files if not _skipped(p.relative_to(directory))]


def _skipped(relative: Path) -> bool:
    return any(part in SKIPPED for part in relative.parts)


def pack(directory: Path) -> bytes:
    """DIR as a tar.gz for ``POST .../local-manifests`` (see the module contract)."""
    buffer = io.BytesIO()
    members = total = 0
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path in sorted(directory.rglob("*")):
            relative = path.relative_to(directory)
            if _skipped(relative):
                continue
            members += 1
            if members > MAX_FILES:
                raise CommandExit(DIFF_ERROR, f"--local {directory}: over {MAX_FILES} files")
            if path.is_symlink() or path.is_dir():
                tar.add(path, arcname=relative.as_posix(), recursive=False)
            elif path.is_file():
                size = path.stat().st_size
                total += size
                if size > MAX_FILE_SIZE or total > MAX_TOTAL_SIZE:
                    raise CommandExit(
                        DIFF_ERROR,
                        f"--local {directory}: {relative} is too large to send "
                        f"(limits: {MAX_FILE_SIZE} bytes a file, {MAX_TOTAL_SIZE} in all)",
                    )
                tar.add(path, arcname=relative.as_posix(), recursive=False)
            else:
                raise CommandExit(DIFF_ERROR, f"--local {directory}: {relative} is not a file")
    return buffer.getvalue()


__all__ = ["DirKind", "checked", "kind_of", "manifests", "pack"]
