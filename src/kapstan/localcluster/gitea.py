"""Build Gitea (``make gitea``) for the webhook end-to-end tests: the real Git host that sends
real webhooks.

The version is pinned in ``toolchain/gitea.toml``. Steps, each printed as one plain
``gitea: ...`` line: a wrapper module in ``<cache>/gitea/<version>/src`` requiring Gitea, with
upstream's ``go``/``godebug`` lines and every replace of upstream's ``go.mod`` that names a
module version (replaces only count in the main module, and Gitea's build needs them); ``go
get`` and ``go mod tidy``; ``CGO_ENABLED=1 go build -tags "sqlite sqlite_unlock_notify"``
into ``<cache>/gitea/<version>/bin/gitea`` with a stamp. No ``bindata`` tag: Gitea then reads
its templates and locales from the module's directory (:attr:`GiteaBuild.static_root`); its
front-end assets are not built (the API, git over HTTP and webhooks do not need them).
"""

from __future__ import annotations

import json
import re
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from kapstan.localcluster import process
from kapstan.localcluster.paths import cache_root
from kapstan.localcluster.toolchain import ToolchainError, _go_env

RECIPE_REVISION = "1"
# `replace a => b vX` (one line or inside a replace block): a versioned module, not a path.
_VERSIONED_REPLACE = re.compile(r"^\s*(?:replace\s+)?(\S+)\s+=>\s+(\S+)\s+(v\S+)\s*$")


@dataclass(frozen=True)
class GiteaSpec:
    module: str
    version: str
    tags: str


def spec_file() -> Path:
    return Path(__file__).resolve().parents[3] / "toolchain" / "gitea.toml"


def load_spec(path: Path | None = None) -> GiteaSpec:
    data = tomllib.loads((path or spec_file()).read_text())["gitea"]
    return GiteaSpec(data["module"], data["version"], data["tags"])


def versioned_replaces(gomod: str) -> list[str]:
    """``old=new@version`` for each replace of ``gomod`` that names a version (comments off)."""
    out = []
    for raw in gomod.splitlines():
        m = _VERSIONED_REPLACE.match(raw.split("//", 1)[0])
        if m:
            out.append(f"{m[1]}={m[2]}@{m[3]}")
    return out


class GiteaBuild:
    """Gitea of ``toolchain/gitea.toml`` in the cache (see the module contract)."""

    def __init__(self, root: Path | None = None, spec: GiteaSpec | None = None) -> None:
        self.spec = spec or load_spec()
        self.root = (root or cache_root()) / "gitea" / self.spec.version.lstrip("v")
        self.binary = self.root / "bin" / "gitea"
        self.src = self.root / "src"
        self.log = self.root / "build.log"
        self._stamp = self.root / ".built"

    def fingerprint(self) -> str:
        return f"{self.spec.module}@{self.spec.version} {self.spec.tags} recipe {RECIPE_REVISION}"

    def is_built(self) -> bool:
        if not self.binary.is_file() or not self._stamp.is_file():
            return False
        stamp = json.loads(self._stamp.read_text())
        return bool(stamp.get("fingerprint") == self.fingerprint())

    @property
    def static_root(self) -> Path:
        """The module's directory: Gitea's templates, options and locales."""
        return Path(json.loads(self._stamp.read_text())["static_root"])

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
                f"building Gitea failed at `go {' '.join(args[:2])}`: {e}; see {self.log}"
            ) from e

    def build(self, say: object = print) -> float:
        """Build Gitea (see the module contract); return the seconds it took."""
        started = time.monotonic()
        tell = say if callable(say) else print
        self.src.mkdir(parents=True, exist_ok=True)
        for stale in ("go.mod", "go.sum"):
            (self.src / stale).unlink(missing_ok=True)
        self.log.write_text(f"# building {self.spec.module}@{self.spec.version}\n")
        wanted = f"{self.spec.module}@{self.spec.version}"
        tell(f"gitea: downloading {wanted}")
        self._go("mod", "init", "kapstan.local/toolchain/gitea")
        info = json.loads(self._go("mod", "download", "-json", wanted, capture=True))
        upstream = Path(info["GoMod"]).read_text()
        for rep in versioned_replaces(upstream):
            self._go("mod", "edit", f"-replace={rep}")
        for line in upstream.splitlines():
            if line.startswith("godebug "):
                self._go("mod", "edit", f"-godebug={line.split(None, 1)[1].strip()}")
            if line.startswith("go "):
                self._go("mod", "edit", f"-go={line.split()[1]}")
        (self.src / "tools.go").write_text(
            f'//go:build tools\n\npackage tools\n\nimport _ "{self.spec.module}"\n'
        )
        tell("gitea: resolving modules (go get, go mod tidy)")
        self._go("get", wanted)
        self._go("mod", "tidy")
        tell("gitea: compiling (a few minutes)")
        version = self.spec.version.lstrip("v")
        ldflags = f'-s -w -X "main.Version={version}" -X "main.Tags={self.spec.tags}"'
        self.binary.parent.mkdir(parents=True, exist_ok=True)
        self._go(
            "build", "-p", "2", "-trimpath", "-tags", self.spec.tags, "-ldflags", ldflags,
            "-o", str(self.binary), self.spec.module, timeout=3600,
        )  # fmt: skip
        elapsed = time.monotonic() - started
        self._stamp.write_text(
            json.dumps(
                {
                    "fingerprint": self.fingerprint(),
                    "static_root": info["Dir"],
                    "seconds": round(elapsed, 1),
                }
            )
        )
        return elapsed


def main() -> int:
    build = GiteaBuild()
    if build.is_built():
        print(f"gitea: {build.binary} is built")
        return 0
    try:
        seconds = build.build()
    except ToolchainError as e:
        print(f"gitea: {e}", file=sys.stderr)
        return 1
    print(f"gitea: built {build.binary} in {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
