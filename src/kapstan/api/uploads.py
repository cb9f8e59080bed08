"""A directory a client uploads as a gzip-compressed tar (``app diff --local DIR
--server-side-generate``), unpacked into a fresh directory under hard limits.

Contract of :func:`unpack`: the archive is read as a stream, member by member, and refused
with :class:`ArchiveRefused` (the API answers 400 with its message) before anything of a bad
member is written when: the compressed body is over ``limits.compressed``; it is not a gzip'd
tar; a member's name is absolute, has a ``..`` part, a NUL or a backslash (a Windows path);
a member is not a regular file, a directory or a symbolic link (devices, FIFOs and hard links
are refused); a symbolic link's target is absolute or leaves the root (lexically, and once
every link exists, resolved); there are more than
``limits.files`` members; a file is over ``limits.file_size`` or all files together over
``limits.total_size``; two members have the same name. Files are written with mode 0644
(0755 when executable), directories 0755; owners and times of the archive are ignored.
"""

from __future__ import annotations

import gzip
import io
import posixpath
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ArchiveLimits:
    """Hard limits of an uploaded directory (bytes and members)."""

    compressed: int = 8 * 1024 * 1024
    total_size: int = 32 * 1024 * 1024
    file_size: int = 4 * 1024 * 1024
    files: int = 2000


class ArchiveRefused(ValueError):
    """The upload breaks a rule of the module contract; the message says which."""


_HEADROOM = 4 * 1024 * 1024  # tar headers and padding beyond the files' own bytes


class _Capped(io.RawIOBase):
    """A read-only stream that refuses to give more than ``cap`` bytes in all."""

    def __init__(self, inner: gzip.GzipFile, cap: int) -> None:
        self._inner, self._left = inner, cap

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._inner.read(min(len(buffer), self._left + 1))
        if len(data) > self._left:
            raise ArchiveRefused("archive is too large unpacked")
        self._left -= len(data)
        buffer[: len(data)] = data
        return len(data)


def _checked_name(raw: str) -> str:
    name = raw.removeprefix("./")
    if not name or name == ".":
        return ""
    if "\x00" in name or "\\" in name:
        raise ArchiveRefused(f"archive member {raw!r}: invalid character in the name")
    if name.startswith("/"):
        raise ArchiveRefused(f"archive member {raw!r}: absolute paths are not allowed")
    parts = name.rstrip("/").split("/")
    if ".." in parts:
        raise ArchiveRefused(f"archive member {raw!r}: '..' is not allowed in a path")
    return "/".join(p for p in parts if p not in ("", "."))


def _check_link(name: str, target: str) -> None:
    if target.startswith("/"):
        raise ArchiveRefused(f"symbolic link {name!r}: absolute target {target!r}")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
    if resolved == ".." or resolved.startswith("../"):
        raise ArchiveRefused(f"symbolic link {name!r}: target {target!r} leaves the directory")


def _kind(member: tarfile.TarInfo) -> str:
    if member.isreg():
        return "file"
    if member.isdir():
        return "dir"
    if member.issym():
        return "symlink"
    what = "hard link" if member.islnk() else "device or FIFO"
    raise ArchiveRefused(f"archive member {member.name!r}: a {what} is not allowed")


class _Unpacker:
    """One unpacking: the counters and the links left for the end."""

    def __init__(self, root: Path, limits: ArchiveLimits) -> None:
        self.root, self.limits = root, limits
        self.members = self.files = self.total = 0
        self.seen: set[str] = set()
        # Symbolic links are made last so that no file is written through one.
        self.links: list[tuple[str, str]] = []

    def member(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        self.members += 1
        if self.members > self.limits.files:
            raise ArchiveRefused(f"archive has more than {self.limits.files} members")
        kind = _kind(member)
        name = _checked_name(member.name)
        if not name:
            return
        if name in self.seen:
            raise ArchiveRefused(f"archive member {name!r} appears twice")
        self.seen.add(name)
        dest = self.root / name
        if kind == "dir":
            dest.mkdir(mode=0o755, parents=True, exist_ok=True)
        elif kind == "symlink":
            _check_link(name, member.linkname)
            self.links.append((name, member.linkname))
        else:
            self.file(tar, member, name, dest)

    def file(self, tar: tarfile.TarFile, member: tarfile.TarInfo, name: str, dest: Path) -> None:
        if member.size > self.limits.file_size:
            raise ArchiveRefused(f"file {name!r} is over {self.limits.file_size} bytes")
        self.total += member.size
        if self.total > self.limits.total_size:
            raise ArchiveRefused(f"archive is over {self.limits.total_size} bytes unpacked")
        data = tar.extractfile(member)
        content = data.read() if data is not None else b""
        dest.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        dest.write_bytes(content)
        dest.chmod(0o755 if member.mode & 0o111 else 0o644)
        self.files += 1

    def make_links(self) -> None:
        for name, target in self.links:
            path = self.root / name
            if path.exists() or path.is_symlink():
                raise ArchiveRefused(f"archive member {name!r} appears twice")
            path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
            path.symlink_to(target)
        # A lexically inward target can still leave through another link ("s/l" -> "..",
        # then "t" -> "s/l/.."): every link must resolve inside the root once all exist.
        top = self.root.resolve()
        for name, target in self.links:
            resolved = (self.root / name).resolve()
            if resolved != top and top not in resolved.parents:
                raise ArchiveRefused(
                    f"symbolic link {name!r}: target {target!r} leaves the directory"
                )


def unpack(body: bytes, root: Path, limits: ArchiveLimits | None = None) -> int:
    """Unpack the tar.gz ``body`` into the existing empty directory ``root`` (see the module
    contract); the number of regular files written."""
    limits = limits or ArchiveLimits()
    if len(body) > limits.compressed:
        raise ArchiveRefused(f"archive is over {limits.compressed} bytes compressed")
    # Headers (a pax header can be large) count too: the decompressed stream itself is capped.
    stream = _Capped(gzip.GzipFile(fileobj=io.BytesIO(body)), limits.total_size + _HEADROOM)
    work = _Unpacker(root, limits)
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                work.member(tar, member)
    except (tarfile.TarError, zlib.error, EOFError, gzip.BadGzipFile) as err:
        raise ArchiveRefused(f"not a readable gzip-compressed tar archive: {err}") from None
    work.make_links()
    return work.files


__all__ = ["ArchiveLimits", "ArchiveRefused", "unpack"]
