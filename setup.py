"""The package build runs the web UI's build first (issue 14): ``pip install .``, a wheel or
an sdist build puts ``web/``'s Vite output into ``kapstan/api/webui`` (package data, never
committed). It runs only when the output is missing or older than a source (``npm ci`` only
when ``node_modules`` is older than the lock file); without ``web/`` (building from an sdist
that already holds the output) nothing runs. No npm on the machine fails the build with what
to install, unless the output is already there. Metadata lives in pyproject.toml.
"""

from __future__ import annotations

import shutil
import subprocess  # the packaging hook runs npm: argv lists, no shell
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent
WEB = ROOT / "web"
OUTPUT = ROOT / "src" / "kapstan" / "api" / "webui" / "index.html"
SOURCES = (
    "src",
    "index.html",
    "vite.config.ts",
    "tsconfig.json",
    "package.json",
    "package-lock.json",
)


def _newest(paths: list[Path]) -> float:
    stamps = [p.stat().st_mtime for p in paths if p.is_file()]
    return max(stamps, default=0.0)


def _sources() -> list[Path]:
    found: list[Path] = []
    for name in SOURCES:
        path = WEB / name
        if path.is_dir():
            found.extend(p for p in path.rglob("*") if p.is_file())
        else:
            found.append(path)
    return found


def build_web() -> None:
    if not (WEB / "package.json").is_file():
        return
    if OUTPUT.is_file() and OUTPUT.stat().st_mtime >= _newest(_sources()):
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("building Kapstan's web UI needs Node.js >= 20.19 and npm (web/)")
    stamp = WEB / "node_modules" / ".installed"
    if not stamp.is_file() or stamp.stat().st_mtime < _newest([WEB / "package-lock.json"]):
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=WEB, check=True
        )
        stamp.touch()
    subprocess.run([npm, "run", "--silent", "build"], cwd=WEB, check=True)


class BuildPyWithWeb(build_py):
    def run(self) -> None:
        build_web()
        super().run()


setup(cmdclass={"build_py": BuildPyWithWeb})
