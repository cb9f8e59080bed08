"""Hostile repositories rendered with the real helm and kustomize: each case must fail cleanly
with a precise RenderError (the cases that need no real tool are in tests/unit/render)."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from kapstan.render import RenderError, Tools, render

from .conftest import APPS


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


def test_symlink_outside_repo_kustomize(tmp_path: Path, tools: Tools) -> None:
    repo = _repo(tmp_path, {"app/kustomization.yaml": "resources: [x.yaml]\n"})
    os.symlink("/etc/passwd", repo / "app" / "x.yaml")
    with pytest.raises(RenderError, match="symlink points outside"):
        _run({"path": "app"}, repo, tools=tools)


def test_value_file_dotdot_escape(tmp_path: Path, tools: Tools) -> None:
    repo = _helm_repo(tmp_path)
    (tmp_path / "outside.yaml").write_text("message: stolen\n")
    source = {"path": "chart", "helm": {"valueFiles": ["../../outside.yaml"]}}
    with pytest.raises(RenderError, match="escapes the repository root"):
        _run(source, repo, tools=tools)


def test_value_file_absolute_path(tmp_path: Path, tools: Tools) -> None:
    repo = _helm_repo(tmp_path)
    source = {"path": "chart", "helm": {"valueFiles": ["/etc/passwd"]}}
    with pytest.raises(RenderError, match="absolute path"):
        _run(source, repo, tools=tools)


def test_file_parameter_escape(tmp_path: Path, tools: Tools) -> None:
    repo = _helm_repo(tmp_path)
    source = {"path": "chart", "helm": {"fileParameters": [{"name": "x", "path": "../../.."}]}}
    with pytest.raises(RenderError, match="escapes"):
        _run(source, repo, tools=tools)


def test_ref_value_file_escape(tmp_path: Path, tools: Tools) -> None:
    repo = _helm_repo(tmp_path)
    refs = {"values": APPS / "values-repo"}
    source = {"path": "chart", "helm": {"valueFiles": ["$values/../guestbook-helm/values.yaml"]}}
    with pytest.raises(RenderError, match="escapes"):
        _run(source, repo, tools=tools, refs=refs)


def test_missing_value_file_is_an_error(tmp_path: Path, tools: Tools) -> None:
    repo = _helm_repo(tmp_path)
    with pytest.raises(RenderError, match="values file not found"):
        _run({"path": "chart", "helm": {"valueFiles": ["nope.yaml"]}}, repo, tools=tools)
