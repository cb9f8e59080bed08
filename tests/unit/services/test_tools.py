"""Where ``kapstan controller`` finds helm and kustomize: an explicit path first, then PATH,
then the toolchain cache of ``make toolchain`` (newest set first); missing ones are listed."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from kapstan.services.tools import ToolError, find_tools


def _tool(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_explicit_path_then_path_then_toolchain(tmp_path: Path) -> None:
    on_path = _tool(tmp_path / "bin" / "kustomize")
    old = _tool(tmp_path / "toolchain" / "old" / "bin" / "helm")
    new = _tool(tmp_path / "toolchain" / "new" / "bin" / "helm")
    stamp = time.time()
    os.utime(old.parents[1], (stamp - 100, stamp - 100))
    os.utime(new.parents[1], (stamp, stamp))
    found = find_tools(path_env=str(tmp_path / "bin"), toolchain=tmp_path / "toolchain")
    assert found.found == {"helm": new, "kustomize": on_path}
    assert found.missing == ()
    chosen = _tool(tmp_path / "elsewhere" / "helm")
    found = find_tools(
        {"helm": str(chosen)}, path_env=str(tmp_path / "bin"), toolchain=tmp_path / "toolchain"
    )
    assert found.found["helm"] == chosen
    tools = found.apply()
    assert (tools.helm, tools.kustomize) == (str(chosen), str(on_path))


def test_missing_tools_are_listed(tmp_path: Path) -> None:
    found = find_tools(path_env=str(tmp_path), toolchain=tmp_path / "none")
    assert found.missing == ("helm", "kustomize")
    assert found.apply().helm == "helm"  # left to fail with a clear ComparisonError


@pytest.mark.parametrize("kind", ["absent", "not executable", "directory"])
def test_explicit_path_must_be_an_executable_file(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "helm"
    if kind == "not executable":
        target.write_text("x")
    elif kind == "directory":
        target.mkdir()
    with pytest.raises(ToolError, match="--helm-path"):
        find_tools({"helm": str(target)}, path_env="", toolchain=tmp_path)
