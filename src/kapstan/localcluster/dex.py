"""Build Dex (``make dex``): the OIDC broker that ``kapstan dex`` runs, as Argo CD bundles it.

The version is pinned in ``toolchain/dex.toml``. Steps, each printed as one plain ``dex: ...``
line: a wrapper module in ``<cache>/dex/<version>/src`` requiring Dex at the pseudo-version of
its release tag (Dex's module path has no ``/v2``, so its tags are no module versions), with
upstream's ``go`` line and its versioned replaces; upstream's ``./api/v2`` path replace is
dropped, the published ``github.com/dexidp/dex/api/v2`` module satisfies it. Then ``go get``,
``go mod tidy`` and ``CGO_ENABLED=1 go build`` (sqlite3 storage needs cgo) into
``<cache>/dex/<version>/bin/dex`` with a stamp. Nothing is written into the repository; a
second run with the same pin does nothing.
"""

from __future__ import annotations

import json
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from kapstan.localcluster import process
from kapstan.localcluster.gitea import versioned_replaces
from kapstan.localcluster.paths import cache_root
from kapstan.localcluster.toolchain import ToolchainError, _go_env

RECIPE_REVISION = "1"


@dataclass(frozen=True)
class DexSpec:
    module: str
    package: str
    version: str
    module_version: str


def spec_file() -> Path:
    return Path(__file__).resolve().parents[3] / "toolchain" / "dex.toml"


def load_spec(path: Path | None = None) -> DexSpec:
    data = tomllib.loads((path or spec_file()).read_text())["dex"]
    return DexSpec(data["module"], data["package"], data["version"], data["module_version"])


class DexBuild:
    """Dex of ``toolchain/dex.toml`` in the cache (see the module contract)."""

    def __init__(self, root: Path | None = None, spec: DexSpec | None = None) -> None:
        self.spec = spec or load_spec()
        self.root = (root or cache_root()) / "dex" / self.spec.version.lstrip("v")
        self.binary = self.root / "bin" / "dex"
        self.src = self.root / "src"
        self.log = self.root / "build.log"
        self._stamp = self.root / ".built"

    def fingerprint(self) -> str:
        return f"{self.spec.module}@{self.spec.module_version} recipe {RECIPE_REVISION}"

    def is_built(self) -> bool:
        if not self.binary.is_file() or not self._stamp.is_file():
            return False
        stamp = json.loads(self._stamp.read_text())
        return bool(stamp.get("fingerprint") == self.fingerprint())

    def _go(self, *args: str, capture: bool = False, timeout: float = 1800) -> str:
        env = _go_env(cgo=True)
        try:
            if capture:
                return process.capture(["go", *args], cwd=self.src, env=env, timeout=timeout)
            return process.run(["go", *args], cwd=self.src, env=env, log=self.log, timeout=timeout)
        except FileNotFoundError as e:
            raise ToolchainError("the `go` command is not installed") from e
        except process.CommandError as e:
            raise ToolchainError(
                f"building Dex failed at `go {' '.join(args[:2])}`: {e}; see {self.log}"
            ) from e

    def build(self, say: object = print) -> float:
        """Build Dex (see the module contract); return the seconds it took."""
        started = time.monotonic()
        tell = say if callable(say) else print
        self.src.mkdir(parents=True, exist_ok=True)
        for stale in ("go.mod", "go.sum"):
            (self.src / stale).unlink(missing_ok=True)
        self.log.write_text(f"# building {self.spec.module}@{self.spec.module_version}\n")
        wanted = f"{self.spec.module}@{self.spec.module_version}"
        tell(f"dex: downloading {wanted} ({self.spec.version})")
        self._go("mod", "init", "kapstan.local/toolchain/dex")
        info = json.loads(self._go("mod", "download", "-json", wanted, capture=True))
        upstream = Path(info["GoMod"]).read_text()
        # Only versioned replaces are copied: the `./api/v2` path replace points into upstream's
        # tree, which a wrapper module cannot use.
        for rep in versioned_replaces(upstream):
            self._go("mod", "edit", f"-replace={rep}")
        for line in upstream.splitlines():
            if line.startswith("go "):
                self._go("mod", "edit", f"-go={line.split()[1]}")
        (self.src / "tools.go").write_text(
            f'//go:build tools\n\npackage tools\n\nimport _ "{self.spec.package}"\n'
        )
        tell("dex: resolving modules (go get, go mod tidy)")
        self._go("get", wanted)
        self._go("mod", "tidy")
        tell("dex: compiling (about two minutes)")
        ldflags = f"-s -w -X main.version={self.spec.version}"
        self.binary.parent.mkdir(parents=True, exist_ok=True)
        self._go(
            "build", "-p", "2", "-trimpath", "-ldflags", ldflags,
            "-o", str(self.binary), self.spec.package, timeout=3600,
        )  # fmt: skip
        elapsed = time.monotonic() - started
        self._stamp.write_text(
            json.dumps({"fingerprint": self.fingerprint(), "seconds": round(elapsed, 1)})
        )
        return elapsed


def main() -> int:
    build = DexBuild()
    if build.is_built():
        print(f"dex: {build.binary} is built")
        return 0
    try:
        seconds = build.build()
    except ToolchainError as e:
        print(f"dex: {e}", file=sys.stderr)
        return 1
    print(f"dex: built {build.binary} in {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
