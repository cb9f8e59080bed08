"""``python -m kapstan.localcluster build`` with output that is not a terminal prints one plain
line per step, each flushed before the (slow) step it announces starts. Nothing is built: the
build step is replaced by a fake that checks what was already visible when it ran."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kapstan.localcluster import toolchain
from kapstan.localcluster.toolchain import Toolchain, ToolchainError, ToolSpec


class FlushedOnly(io.StringIO):
    """A non-terminal stream whose text becomes ``visible`` only when flushed, like a pipe
    read by a CI log collector."""

    def __init__(self, tty: bool = False) -> None:
        super().__init__()
        self.visible = ""
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty

    def flush(self) -> None:
        super().flush()
        self.visible = self.getvalue()

    def last_visible(self) -> str:
        return (self.visible.splitlines() or [""])[-1]


@dataclass
class FakeBuild:
    stream: FlushedOnly
    built: set[str] = field(default_factory=lambda: {"helm"})
    fail: str = ""
    calls: list[str] = field(default_factory=list)

    def is_built(self, spec: ToolSpec) -> bool:
        return spec.name in self.built

    def build(self, spec: ToolSpec, on_step: Callable[[str], None]) -> float:
        tool = f"{spec.name} {spec.version}"
        # Announced (written and flushed) before the build starts, and each step at once.
        assert self.stream.last_visible().startswith(f"toolchain: building {tool} (")
        self.calls.append(spec.name)
        on_step("compiling")
        assert self.stream.last_visible() == f"toolchain: {tool}: compiling"
        if spec.name == self.fail:
            raise ToolchainError("`go build` failed")
        return 243.4


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeBuild:
    """An empty cache, helm pretending to be built, and a build step that builds nothing."""
    monkeypatch.setenv("KAPSTAN_CACHE", str(tmp_path))
    fake = FakeBuild(FlushedOnly())
    # Bound methods of the fake: Toolchain's own ``self`` is not passed on.
    monkeypatch.setattr(Toolchain, "is_built", fake.is_built)
    monkeypatch.setattr(Toolchain, "build", fake.build)
    return fake


def build_command(fake: FakeBuild, monkeypatch: pytest.MonkeyPatch) -> int:
    """Run ``python -m kapstan.localcluster build`` in-process with standard error being the
    fake's stream (patched here: pytest's capture resets sys.stderr after fixture set-up)."""
    monkeypatch.setattr("sys.stderr", fake.stream)
    return toolchain.main(["build"])


def test_non_tty_build_prints_one_flushed_line_per_step(
    fake: FakeBuild, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert build_command(fake, monkeypatch) == 0
    tc = Toolchain()
    names = [s.name for s in tc.specs]
    v = {s.name: s.version for s in tc.specs}
    to_build = [name for name in names if name != "helm"]
    assert fake.calls == to_build  # in the order of versions.toml, helm skipped
    assert fake.stream.visible == fake.stream.getvalue()  # nothing left unflushed
    n = len(to_build)
    expected = [f"toolchain: version set {tc.set_id}, {n} of {len(names)} to build"]
    for name in names:
        if name == "helm":
            expected.append(f"toolchain: helm {v['helm']} up to date")
            continue
        expected += [
            f"toolchain: building {name} {v[name]} ({to_build.index(name) + 1}/{n})",
            f"toolchain: {name} {v[name]}: compiling",
            f"toolchain: {name} {v[name]} built in 243 s",
        ]
    expected.append(f"toolchain: all tools built in {tc.bin_dir}")
    assert fake.stream.visible.splitlines() == expected
    assert expected[1] == f"toolchain: building kubernetes {v['kubernetes']} (1/{n})"


def test_non_tty_failure_names_the_tool(fake: FakeBuild, monkeypatch: pytest.MonkeyPatch) -> None:
    fake.fail = "etcd"
    assert build_command(fake, monkeypatch) == 1
    lines = fake.stream.visible.splitlines()
    assert fake.calls == ["kubernetes", "etcd"]  # stops at the first failure
    assert re.fullmatch(r"toolchain: etcd \S+ failed after \d+ s", lines[-2])
    assert lines[-1] == "error: `go build` failed"


def test_nothing_to_build(fake: FakeBuild, monkeypatch: pytest.MonkeyPatch) -> None:
    specs = Toolchain().specs
    fake.built = {s.name for s in specs}
    assert build_command(fake, monkeypatch) == 0
    lines = fake.stream.visible.splitlines()
    assert fake.calls == []
    assert lines[0].endswith(f", 0 of {len(specs)} to build")
    assert lines[1:-1] == [f"toolchain: {s.name} {s.version} up to date" for s in specs]


def test_terminal_keeps_the_rich_display(fake: FakeBuild, monkeypatch: pytest.MonkeyPatch):
    tty = FlushedOnly(tty=True)
    seen: list[object] = []

    def rich(_tc: Toolchain, out: object) -> dict[str, float]:
        seen.append(out)
        return {}

    monkeypatch.setattr(toolchain, "_build_rich", rich)
    assert toolchain.build_all(Toolchain(), tty) == {}
    assert seen == [tty]
    assert tty.getvalue() == ""  # no plain lines on a terminal
