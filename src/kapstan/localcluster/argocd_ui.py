"""Build Argo CD's web UI (its React app, unchanged) for the test that drives it in Chromium
against ``kapstan server --staticassets`` (``make argocd-ui``).

The version is pinned in ``toolchain/argocd-ui.toml``. Steps, each printed as one plain
``argocd-ui: ...`` line:

1. ``go mod download`` of Argo CD's Go module (into the user's module cache; the module's
   ``go`` line may ask for a newer Go than the local one, which stops ``go`` after the zip is
   downloaded and verified, so the verified zip is used then);
2. the zip's ``ui/`` folder is extracted into ``<cache>/argocd-ui/<version>/work``;
3. its dependencies are installed from its own lock file with the package manager its
   ``package.json`` names (``pnpm@X`` through ``npx``; ``yarn`` v1 for a ``yarn.lock``),
   frozen: nothing is resolved anew;
4. ``<pm> run build`` (webpack, production) and ``ui/dist/app`` is moved to
   ``<cache>/argocd-ui/<version>/app``, with a stamp; the work folder is removed.

A second run with ``app/index.html`` and the stamp in place does nothing. Argo CD's UI takes
one dependency, ``argo-ui``, from a Git host's tarball rather than from the npm registry;
where that host cannot be reached, ``$KAPSTAN_ARGO_UI_TARBALL`` names a local copy of the
very tarball the lock file names, which then replaces the URL in the lock file (pnpm only).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
import tomllib
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kapstan.localcluster import process
from kapstan.localcluster.paths import cache_root

RECIPE_REVISION = "1"
TARBALL_ENV = "KAPSTAN_ARGO_UI_TARBALL"
_ARGO_UI_ENTRY = re.compile(r"^  (argo-ui@(\S+)):\n    resolution: \{tarball: (\S+)\}$", re.M)


class UiBuildError(RuntimeError):
    """The UI could not be built; the message says why and what to do."""


def spec_file() -> Path:
    return Path(__file__).resolve().parents[3] / "toolchain" / "argocd-ui.toml"


@dataclass(frozen=True)
class UiSpec:
    module: str
    version: str  # v3.6.1

    @property
    def plain_version(self) -> str:
        return self.version.removeprefix("v")


def load_spec(path: Path | None = None) -> UiSpec:
    data = tomllib.loads((path or spec_file()).read_text())["argocd-ui"]
    return UiSpec(module=str(data["module"]), version=str(data["version"]))


def escape_module(path: str) -> str:
    """The module cache's spelling of a module path (upper case as ``!`` + lower case)."""
    return re.sub(r"[A-Z]", lambda m: "!" + m.group(0).lower(), path)


class ArgoCdUi:
    """The UI build of one pinned version (see the module contract)."""

    def __init__(self, root: Path | None = None, spec: UiSpec | None = None) -> None:
        self.spec = spec or load_spec()
        self.root = (root or cache_root()) / "argocd-ui" / self.spec.plain_version
        self.app_dir = self.root / "app"
        self.work = self.root / "work"
        self.log = self.root / "build.log"
        self._stamp = self.root / ".built"

    def fingerprint(self) -> str:
        return f"{self.spec.module}@{self.spec.version} recipe {RECIPE_REVISION}"

    def is_built(self) -> bool:
        if not (self.app_dir / "index.html").is_file() or not self._stamp.is_file():
            return False
        stamp = json.loads(self._stamp.read_text())
        return bool(stamp.get("fingerprint") == self.fingerprint())

    def build(self, say: Callable[[str], None] = lambda _s: None) -> float:
        """Build the UI (see the module contract); return the seconds it took."""
        started = time.monotonic()
        if self.work.exists():
            shutil.rmtree(self.work)
        self.work.mkdir(parents=True)
        self.log.write_text(f"# building Argo CD's UI {self.spec.version}\n")
        say(f"downloading {self.spec.module}@{self.spec.version}")
        archive = self._download()
        say(f"extracting ui/ from {archive.name}")
        ui = self._extract(archive)
        manager = _package_manager(ui)
        say(f"installing dependencies from the lock file ({' '.join(manager)})")
        tarball = os.environ.get(TARBALL_ENV, "")
        if tarball:
            say(f"argo-ui from {tarball} (${TARBALL_ENV})")
            use_local_argo_ui(ui / "pnpm-lock.yaml", Path(tarball))
        env = _node_env()
        try:
            self._run([*manager, "install", *_install_flags(manager)], ui, env, 1800)
        except UiBuildError as e:
            raise UiBuildError(_explain_install(e, ui)) from None
        say("building (webpack, production)")
        build_env = {**env, "NODE_ENV": "production", "ARGO_VERSION": self.spec.version}
        self._run([*manager, "run", "build"], ui, build_env, 3600)
        built = ui / "dist" / "app"
        if not (built / "index.html").is_file():
            raise UiBuildError(f"the build left no {built / 'index.html'}; see {self.log}")
        if self.app_dir.exists():
            shutil.rmtree(self.app_dir)
        built.rename(self.app_dir)
        elapsed = time.monotonic() - started
        self._stamp.write_text(
            json.dumps({"fingerprint": self.fingerprint(), "seconds": round(elapsed, 1)})
        )
        shutil.rmtree(self.work, ignore_errors=True)
        return elapsed

    def _run(self, argv: list[str], cwd: Path, env: dict[str, str], timeout: float) -> None:
        try:
            process.run(argv, cwd=cwd, env=env, log=self.log, timeout=timeout)
        except FileNotFoundError as e:
            raise UiBuildError(f"`{argv[0]}` is not installed (Node.js and npm are needed)") from e
        except process.CommandError as e:
            raise UiBuildError(
                f"`{' '.join(argv[:3])}` failed: {e}\n--- last output ({self.log}) ---\n"
                f"{e.output[-3000:]}"
            ) from e

    def _download(self) -> Path:
        env = {**os.environ, "GOFLAGS": (os.environ.get("GOFLAGS", "") + " -modcacherw").strip()}
        target = f"{self.spec.module}@{self.spec.version}"
        try:
            cache = Path(process.capture(["go", "env", "GOMODCACHE"], env=env).strip())
        except FileNotFoundError as e:
            raise UiBuildError("the `go` command is not installed (Go >= 1.25 needed)") from e
        where = cache / "cache" / "download" / escape_module(self.spec.module) / "@v"
        archive = where / f"{self.spec.version}.zip"
        verified = where / f"{self.spec.version}.ziphash"
        try:
            process.capture(["go", "mod", "download", "-json", target], env=env, cwd=self.work)
        except process.CommandError as e:
            # A module asking for a newer Go than ours fails after the verified download.
            if not (archive.is_file() and verified.is_file()):
                raise UiBuildError(f"go mod download {target} failed: {e}\n{e.output}") from e
        if not archive.is_file():
            raise UiBuildError(f"go mod download {target} left no {archive}")
        return archive

    def _extract(self, archive: Path) -> Path:
        prefix = f"{self.spec.module}@{self.spec.version}/ui/"
        out = self.work / "ui"
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                if not info.filename.startswith(prefix) or info.is_dir():
                    continue
                rel = Path(info.filename[len(prefix) :])
                if rel.is_absolute() or ".." in rel.parts:
                    raise UiBuildError(f"unexpected path {info.filename!r} in {archive}")
                dest = out / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, dest.open("wb") as fh:
                    shutil.copyfileobj(src, fh)
        if not (out / "package.json").is_file():
            raise UiBuildError(f"{archive} has no ui/package.json")
        return out


def _package_manager(ui: Path) -> list[str]:
    declared = str(json.loads((ui / "package.json").read_text()).get("packageManager", ""))
    if declared.startswith("pnpm@") and (ui / "pnpm-lock.yaml").is_file():
        return ["npx", "--yes", declared.split("+", maxsplit=1)[0]]
    if (ui / "yarn.lock").is_file():
        return ["npx", "--yes", "yarn@1"]
    raise UiBuildError(f"{ui} has neither pnpm-lock.yaml (with packageManager) nor yarn.lock")


def _install_flags(manager: list[str]) -> list[str]:
    if manager[-1].startswith("pnpm@"):
        return ["--frozen-lockfile", "--reporter=append-only"]
    return ["--frozen-lockfile", "--non-interactive", "--no-progress"]


def _node_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"CI": "true", "NODE_OPTIONS": "--max-old-space-size=4096"})
    env.setdefault("npm_config_update_notifier", "false")
    return env


def argo_ui_tarball(lock: Path) -> str | None:
    """The URL the pnpm lock file fetches ``argo-ui`` from (``None`` when it names none)."""
    found = _ARGO_UI_ENTRY.search(lock.read_text())
    return found.group(3) if found else None


def use_local_argo_ui(lock: Path, tarball: Path) -> None:
    """Point the lock file's ``argo-ui`` entry at a local copy of its tarball."""
    if not tarball.is_file():
        raise UiBuildError(f"${TARBALL_ENV}: {tarball} is not a file")
    text = lock.read_text()
    found = _ARGO_UI_ENTRY.search(text)
    if found is None:
        raise UiBuildError(f"{lock} has no argo-ui tarball entry to replace")
    start, end = found.span(3)  # the resolution only: the entry's key keeps its URL
    lock.write_text(text[:start] + f"file:{tarball.resolve()}" + text[end:])


def _explain_install(err: UiBuildError, ui: Path) -> str:
    lock = ui / "pnpm-lock.yaml"
    url = argo_ui_tarball(lock) if lock.is_file() else None
    if url and url in str(err) and not os.environ.get(TARBALL_ENV):
        return (
            "Argo CD's UI takes its argo-ui dependency from a Git host's tarball, not from the "
            f"npm registry, and it could not be fetched: {url}\n"
            f"Fetch that file where it can be reached and set {TARBALL_ENV}=/path/to/it "
            "(the lock file then uses the local copy; everything else comes from the npm "
            f"registry).\n{err}"
        )
    return str(err)


def main(path_only: bool = False) -> int:
    """``python -m kapstan.localcluster argocd-ui [--path]``: build when missing, print the
    directory of the build (``--path``: only print it)."""
    ui = ArgoCdUi()

    def say(line: str) -> None:
        print(f"argocd-ui: {line}", file=sys.stderr, flush=True)

    if path_only:
        print(ui.app_dir)
        return 0 if ui.is_built() else 1
    if ui.is_built():
        say(f"Argo CD UI {ui.spec.version} up to date in {ui.app_dir}")
        print(ui.app_dir)
        return 0
    started = time.monotonic()
    try:
        seconds = ui.build(say)
    except UiBuildError as e:
        say(f"failed after {time.monotonic() - started:.0f} s")
        print(f"error: {e}", file=sys.stderr, flush=True)
        return 1
    say(f"built Argo CD UI {ui.spec.version} in {seconds:.0f} s into {ui.app_dir}")
    print(ui.app_dir)
    return 0


__all__ = [
    "TARBALL_ENV",
    "ArgoCdUi",
    "UiBuildError",
    "UiSpec",
    "argo_ui_tarball",
    "escape_module",
    "load_spec",
    "main",
    "use_local_argo_ui",
]
