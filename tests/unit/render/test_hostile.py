"""Hostile repositories and tools: each case must fail cleanly with a precise RenderError."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from kapstan.render import Limits, RenderError, Tools, render

from .conftest import APPS

BOMB = """apiVersion: v1
kind: ConfigMap
metadata: {name: lol}
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
"""
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm%d}\n"


def _run(source: dict[str, Any], repo: Path, **kw: Any) -> Any:
    kw.setdefault("app_name", "gb")
    return asyncio.run(render(source, repo, **kw))


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    repo = tmp_path / "repo"
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    repo.mkdir(exist_ok=True)
    return repo


def _helm_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(APPS / "guestbook-helm", repo / "chart")
    return repo


def _fake_tool(tmp_path: Path, body: str) -> str:
    script = tmp_path / "fake-tool"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(0o755)
    return str(script)


def test_symlink_outside_repo(tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text(CM % 0)
    repo = _repo(tmp_path, {"app/ok.yaml": CM % 1})
    os.symlink(secret, repo / "app" / "leak.yaml")
    with pytest.raises(RenderError, match="symlink points outside") as e:
        _run({"path": "app"}, repo)
    assert e.value.file == "app/leak.yaml"


def test_source_path_escape(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"app/a.yaml": CM % 1})
    with pytest.raises(RenderError, match="escapes the repository root"):
        _run({"path": "../"}, repo)


def test_jsonnet_import_outside_repo(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"app/main.jsonnet": "import '../../secret.libsonnet'"})
    (tmp_path / "secret.libsonnet").write_text("{}")
    with pytest.raises(RenderError, match="jsonnet"):
        _run({"path": "app"}, repo)


def test_yaml_bomb(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"app/bomb.yaml": BOMB})
    start = time.monotonic()
    with pytest.raises(RenderError, match="alias bomb") as e:
        _run({"path": "app"}, repo)
    assert e.value.file == "app/bomb.yaml"
    assert time.monotonic() - start < 5


def test_file_over_size_limit(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"app/big.yaml": CM % 0 + "data: {x: '" + "x" * 5000 + "'}\n"})
    with pytest.raises(RenderError, match="over the limit of 1024") as e:
        _run({"path": "app"}, repo, limits=Limits(max_file_bytes=1024))
    assert e.value.file == "app/big.yaml"


def test_too_many_documents_in_a_file(tmp_path: Path) -> None:
    text = "---\n".join(CM % i for i in range(11))
    repo = _repo(tmp_path, {"app/many.yaml": text})
    with pytest.raises(RenderError, match="more than 10 documents"):
        _run({"path": "app"}, repo, limits=Limits(max_documents_per_file=10))


def test_too_many_documents_in_a_render(tmp_path: Path) -> None:
    files = {f"app/f{i}.yaml": "---\n".join(CM % (i * 10 + j) for j in range(4)) for i in range(3)}
    repo = _repo(tmp_path, files)
    with pytest.raises(RenderError, match="more than 10 documents in the render"):
        _run({"path": "app"}, repo, limits=Limits(max_documents=10))


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path, {"app/ok.yaml": CM % 1, "app/bad.yaml": CM % 2 + "data:\n  a: [1\n  b: 2\n"}
    )
    with pytest.raises(RenderError) as e:
        _run({"path": "app"}, repo)
    assert e.value.file == "app/bad.yaml"
    assert e.value.line is not None
    assert e.value.line >= 4
    assert str(e.value).startswith(f"app/bad.yaml:{e.value.line}: invalid YAML")


def test_tool_that_hangs_is_killed(tmp_path: Path) -> None:
    repo = _helm_repo(tmp_path)
    tools = Tools(helm=_fake_tool(tmp_path, "exec sleep 60"))
    start = time.monotonic()
    with pytest.raises(RenderError, match=r"timed out after 0\.5s"):
        _run({"path": "chart"}, repo, tools=tools, limits=Limits(timeout=0.5))
    assert time.monotonic() - start < 10


def test_tool_writing_gigabytes_is_capped(tmp_path: Path) -> None:
    repo = _helm_repo(tmp_path)
    tools = Tools(helm=_fake_tool(tmp_path, "exec yes 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'"))
    with pytest.raises(RenderError, match="output exceeded 1048576 bytes"):
        _run({"path": "chart"}, repo, tools=tools, limits=Limits(max_output=1 << 20))


def test_failing_tool_reports_stderr(tmp_path: Path) -> None:
    repo = _helm_repo(tmp_path)
    tools = Tools(helm=_fake_tool(tmp_path, "echo 'Error: chart is broken' >&2; exit 1"))
    with pytest.raises(RenderError, match="chart is broken"):
        _run({"path": "chart"}, repo, tools=tools)


def test_tool_emitting_non_objects_is_rejected(tmp_path: Path) -> None:
    repo = _helm_repo(tmp_path)
    tools = Tools(helm=_fake_tool(tmp_path, "printf 'apiVersion: v1\\nkind: A\\n---\\n- 1\\n'"))
    with pytest.raises(RenderError, match="not a Kubernetes object"):
        _run({"path": "chart"}, repo, tools=tools)


def test_jsonnet_that_runs_forever_is_killed(tmp_path: Path) -> None:
    # A fold over a hundred million elements: far longer than the limit, bounded in stack.
    loop = "std.foldl(function(acc, i) acc + i, std.range(1, 100000000), 0)"
    manifest = "{ apiVersion: 'v1', kind: 'ConfigMap', x: " + loop + " }"
    repo = _repo(tmp_path, {"app/main.jsonnet": manifest})
    start = time.monotonic()
    with pytest.raises(RenderError, match=r"app/main\.jsonnet: jsonnet timed out after 0\.5s"):
        _run({"path": "app"}, repo, limits=Limits(timeout=0.5))
    assert time.monotonic() - start < 10
