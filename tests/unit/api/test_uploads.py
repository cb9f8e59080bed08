"""The uploaded directory of ``app diff --local --server-side-generate``: hostile archives are
refused with a message that names the rule (table-driven), nothing is written outside the
directory, and a good archive unpacks with its files, directories and inward links."""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from kapstan.api.uploads import ArchiveLimits, ArchiveRefused, unpack

SMALL = ArchiveLimits(compressed=64 * 1024, total_size=4096, file_size=1024, files=5)


def _tar(*members: tarfile.TarInfo | tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                tar.addfile(member)
            else:
                name, content = member
                info = tarfile.TarInfo(name)
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def _info(name: str, kind: bytes, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info


def _pax_bomb(size: int) -> bytes:
    """A tiny archive whose pax header unpacks to ``size`` bytes (held in memory by a reader
    that trusts it)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("a")
        info.pax_headers = {"comment": "x" * size}
        tar.addfile(info, io.BytesIO(b""))
    return buffer.getvalue()


def _many(count: int) -> bytes:
    return _tar(*((f"f{i}.yaml", b"a: 1\n") for i in range(count)))


HOSTILE: list[tuple[str, Callable[[], bytes], str]] = [
    ("not gzip", lambda: b"plain text", "not a readable gzip-compressed tar"),
    ("gzip, not tar", lambda: gzip.compress(b"x" * 600), "not a readable gzip-compressed tar"),
    ("absolute path", lambda: _tar(("/etc/passwd", b"x")), "absolute paths are not allowed"),
    ("dot-dot", lambda: _tar(("a/../../x", b"x")), "'..' is not allowed"),
    ("dot-dot at the end", lambda: _tar(("a/..", b"x")), "'..' is not allowed"),
    ("backslash", lambda: _tar(("..\\x", b"x")), "invalid character"),
    ("absolute link", lambda: _tar(_info("l", tarfile.SYMTYPE, "/etc")), "absolute target"),
    ("escaping link", lambda: _tar(_info("a/l", tarfile.SYMTYPE, "../../x")), "leaves the"),
    (
        "link escaping through a link",
        lambda: _tar(
            _info("s", tarfile.DIRTYPE),
            _info("s/l", tarfile.SYMTYPE, ".."),
            _info("t", tarfile.SYMTYPE, "s/l/.."),
        ),
        "leaves the directory",
    ),
    ("hard link", lambda: _tar(("a", b"x"), _info("b", tarfile.LNKTYPE, "a")), "hard link"),
    ("character device", lambda: _tar(_info("dev", tarfile.CHRTYPE)), "device or FIFO"),
    ("block device", lambda: _tar(_info("dev", tarfile.BLKTYPE)), "device or FIFO"),
    ("fifo", lambda: _tar(_info("pipe", tarfile.FIFOTYPE)), "device or FIFO"),
    ("too many members", lambda: _many(6), "more than 5 members"),
    ("file too large", lambda: _tar(("big", b"x" * 1025)), "is over 1024 bytes"),
    (
        "too large in all",
        lambda: _tar(*((f"f{i}", b"x" * 1000) for i in range(5))),
        "over 4096 bytes unpacked",
    ),
    ("same name twice", lambda: _tar(("a", b"1"), ("./a", b"2")), "appears twice"),
    (
        "over the compressed limit",
        lambda: b"\x1f\x8b" + bytes(range(256)) * 300,
        "compressed",
    ),
    ("a bomb in a header", lambda: _pax_bomb(8 * 1024 * 1024), "too large unpacked"),
]


@pytest.mark.parametrize(("archive", "message"), [(make, msg) for _, make, msg in HOSTILE],
                         ids=[name for name, _, _ in HOSTILE])  # fmt: skip
def test_hostile_archives_are_refused(
    tmp_path: Path, archive: Callable[[], bytes], message: str
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    with pytest.raises(ArchiveRefused, match=message):
        unpack(archive(), root, SMALL)
    outside = [p for p in tmp_path.rglob("*") if root not in p.parents and p != root]
    assert outside == []


def test_a_good_archive_unpacks_with_files_directories_and_inward_links(tmp_path: Path) -> None:
    script = tarfile.TarInfo("bin/run.sh")
    script.size, script.mode = 3, 0o777
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        tar.addfile(_info("./", tarfile.DIRTYPE))
        for name, content in (("kustomization.yaml", b"resources: [cm.yaml]\n"),
                              ("base/cm.yaml", b"kind: ConfigMap\n")):  # fmt: skip
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
        tar.addfile(script, io.BytesIO(b"#!\n"))
        tar.addfile(_info("cm.yaml", tarfile.SYMTYPE, "base/cm.yaml"))
        tar.addfile(_info("base/up", tarfile.SYMTYPE, ".."))
    root = tmp_path / "root"
    root.mkdir()
    assert unpack(archive.getvalue(), root) == 3
    assert (root / "cm.yaml").read_text() == "kind: ConfigMap\n"
    assert (root / "base" / "up" / "kustomization.yaml").is_file()
    assert (root / "bin" / "run.sh").stat().st_mode & 0o777 == 0o755
    assert (root / "kustomization.yaml").stat().st_mode & 0o777 == 0o644
