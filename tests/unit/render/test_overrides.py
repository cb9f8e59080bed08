"""``.argocd-source.yaml`` / ``.argocd-source-<app>.yaml`` in the app's directory override its
source as Argo CD merges them (cases in testdata/overrides.yaml), and what a user sees of it
in a render: the override decides what is rendered, and the files are never manifests."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.render import Limits, RenderError, render
from kapstan.render.overrides import with_overrides

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "testdata/overrides.yaml").read_text()
)


def _repo(root: Path, case: dict[str, Any]) -> Path:
    app = root / "web"
    app.mkdir(parents=True)
    for name, text in (case.get("files") or {}).items():
        (app / name).write_text(text)
    for name, target in (case.get("links") or {}).items():
        os.symlink(target, app / name)
    for name in case.get("dirs") or []:
        (app / name).mkdir()
    return root.resolve()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_overrides(case: dict[str, Any], tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo", case)
    app = case.get("app", "web")
    if "error" in case:
        with pytest.raises(RenderError) as err:
            with_overrides(case["source"], root / "web", root, app_name=app, limits=Limits())
        assert case["error"] in str(err.value)
        return
    got = with_overrides(case["source"], root / "web", root, app_name=app, limits=Limits())
    assert got == case["expect"]


def _cm(name: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"


def test_a_render_follows_the_override_and_never_renders_the_files(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "web" / "nested").mkdir(parents=True)
    (root / "web" / "top.yaml").write_text(_cm("top"))
    (root / "web" / "nested" / "deep.yaml").write_text(_cm("deep"))
    (root / "web" / ".argocd-source.yaml").write_text("directory:\n  recurse: true\n")
    (root / "web" / ".argocd-source-other.yaml").write_text("directory:\n  recurse: false\n")
    result = asyncio.run(render({"path": "web"}, root, app_name="web"))
    assert sorted(m.obj["metadata"]["name"] for m in result.manifests) == ["deep", "top"]
    alone = asyncio.run(render({"path": "web"}, root, app_name="other"))
    assert [m.obj["metadata"]["name"] for m in alone.manifests] == ["top"]


def test_a_bad_override_file_fails_the_render_instead_of_rendering_without_it(
    tmp_path: Path,
) -> None:
    root = tmp_path / "repo"
    (root / "web").mkdir(parents=True)
    (root / "web" / "top.yaml").write_text(_cm("top"))
    (root / "web" / ".argocd-source-web.yaml").write_text("- not a map\n")
    with pytest.raises(RenderError, match="must be a map"):
        asyncio.run(render({"path": "web"}, root, app_name="web"))
