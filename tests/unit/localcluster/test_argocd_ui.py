"""The Argo CD UI builder's own logic, without building anything: the pinned spec, when a build
counts as done, the zip's ``ui/`` extraction (no path out of the work folder), and the lock
file's argo-ui entry pointed at a local tarball (the entry's key, which also holds the URL,
must stay as it is, or pnpm refuses the frozen lock file)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from kapstan.localcluster import argocd_ui
from kapstan.localcluster.argocd_ui import ArgoCdUi, UiBuildError, UiSpec

URL = "https://git.example/argoproj/argo-ui/tar.gz/f941b0a3ca094066dd9d5e002f48acdc5fda45a0"
LOCK = f"""lockfileVersion: '9.0'

importers:

  .:
    dependencies:
      argo-ui:
        specifier: git+https://git.example/argoproj/argo-ui.git#f941b0a
        version: {URL}(react@19.2.6)

packages:

  argo-ui@{URL}:
    resolution: {{tarball: {URL}}}
    version: 1.0.0

  argparse@2.0.1:
    resolution: {{integrity: sha512-abc}}

snapshots:

  argo-ui@{URL}(react@19.2.6):
    dependencies:
      react: 19.2.6
"""
SPEC = UiSpec(module="github.com/argoproj/argo-cd/v3", version="v3.6.1")


def test_the_pinned_version_and_where_it_is_built(tmp_path: Path) -> None:
    spec = argocd_ui.load_spec()
    assert spec.module == "github.com/argoproj/argo-cd/v3"
    assert spec.version.startswith("v3.")
    ui = ArgoCdUi(tmp_path, SPEC)
    assert ui.app_dir == tmp_path / "argocd-ui" / "3.6.1" / "app"
    assert argocd_ui.escape_module("github.com/BurntSushi/toml") == "github.com/!burnt!sushi/toml"


def test_a_build_counts_only_with_index_html_and_a_matching_stamp(tmp_path: Path) -> None:
    ui = ArgoCdUi(tmp_path, SPEC)
    assert not ui.is_built()
    ui.app_dir.mkdir(parents=True)
    (ui.app_dir / "index.html").write_text("<html></html>")
    assert not ui.is_built()
    stamp = ui.root / ".built"
    stamp.write_text(json.dumps({"fingerprint": "other recipe"}))
    assert not ui.is_built()
    stamp.write_text(json.dumps({"fingerprint": ui.fingerprint()}))
    assert ui.is_built()
    assert ArgoCdUi(tmp_path, UiSpec(SPEC.module, "v3.6.2")).is_built() is False


def _zip(path: Path, names: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in names.items():
            zf.writestr(name, text)
    return path


def test_only_ui_is_extracted(tmp_path: Path) -> None:
    prefix = "github.com/argoproj/argo-cd/v3@v3.6.1/"
    archive = _zip(
        tmp_path / "m.zip",
        {
            prefix + "ui/package.json": "{}",
            prefix + "ui/src/app/index.tsx": "//",
            prefix + "server/server.go": "package server",
        },
    )
    ui = ArgoCdUi(tmp_path / "cache", SPEC)
    ui.work.mkdir(parents=True)
    out = ui._extract(archive)
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == [
        "package.json",
        "src/app/index.tsx",
    ]
    evil = _zip(tmp_path / "evil.zip", {prefix + "ui/../../escape.txt": "x"})
    with pytest.raises(UiBuildError, match="unexpected path"):
        ui._extract(evil)
    assert not (tmp_path / "cache" / "argocd-ui" / "escape.txt").exists()


def test_argo_ui_points_at_a_local_tarball(tmp_path: Path) -> None:
    lock = tmp_path / "pnpm-lock.yaml"
    lock.write_text(LOCK)
    assert argocd_ui.argo_ui_tarball(lock) == URL
    tarball = tmp_path / "argo-ui.tgz"
    tarball.write_bytes(b"\x1f\x8b")
    argocd_ui.use_local_argo_ui(lock, tarball)
    text = lock.read_text()
    assert f"    resolution: {{tarball: file:{tarball}}}\n" in text
    assert f"  argo-ui@{URL}:\n" in text  # the key is untouched
    assert f"version: {URL}(react@19.2.6)" in text
    assert text.count(URL) == LOCK.count(URL) - 1
    with pytest.raises(UiBuildError, match="is not a file"):
        argocd_ui.use_local_argo_ui(lock, tmp_path / "absent.tgz")


def test_the_package_manager_is_the_one_package_json_names(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"packageManager": "pnpm@12.3.4+sha512.abc"}')
    (tmp_path / "pnpm-lock.yaml").write_text(LOCK)
    assert argocd_ui._package_manager(tmp_path) == ["npx", "--yes", "pnpm@12.3.4"]
    (tmp_path / "pnpm-lock.yaml").unlink()
    (tmp_path / "yarn.lock").write_text("")
    assert argocd_ui._package_manager(tmp_path) == ["npx", "--yes", "yarn@1"]
    (tmp_path / "yarn.lock").unlink()
    with pytest.raises(UiBuildError, match="neither"):
        argocd_ui._package_manager(tmp_path)
