"""Build the peers of the side-by-side benchmark (``make bench-peers``): Argo CD and Flux's
source-controller and kustomize-controller, from Go modules, for ``bench/peers.py`` only.

Versions and per-tool quirks are pinned in ``toolchain/peers.toml``. Each peer is built like
Gitea (:mod:`kapstan.localcluster.gitea`): a wrapper module in
``<cache>/peers/<name>/<version>/src`` requiring the peer, with upstream's ``go`` line and
every replace of upstream's ``go.mod`` that names a module version (a replace to a local path,
such as Argo CD's ``./gitops-engine``, is dropped: the published module satisfies the require),
plus the pins of the toml; ``go get`` and ``go mod tidy`` (``-e`` where a refused test-only
dependency would fail it); ``go build`` into ``bin/<name>`` with a JSON stamp that records the
module directory (CRDs, manifests, helper scripts) and the build's seconds.

A peer whose stamp matches its fingerprint is not rebuilt. Every ``go`` command runs under
``nice -n 19`` and compiles with ``-p 1`` (``KAPSTAN_PEERS_BUILD_JOBS`` raises it on an otherwise
idle machine): these builds are optional and must not slow the machine's other work (Argo CD
takes a quarter of an hour cold on two cores).
"""

from __future__ import annotations

import json
import os
import sys
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kapstan.localcluster import process
from kapstan.localcluster.gitea import versioned_replaces
from kapstan.localcluster.paths import cache_root
from kapstan.localcluster.toolchain import ToolchainError, _go_env

RECIPE_REVISION = "1"
BUILD_JOBS_ENV = "KAPSTAN_PEERS_BUILD_JOBS"
PEERS = ("argocd", "source-controller", "kustomize-controller")


def build_jobs() -> int:
    """``go build -p``: 1 unless ``KAPSTAN_PEERS_BUILD_JOBS`` names a positive number."""
    raw = os.environ.get(BUILD_JOBS_ENV, "1")
    if not raw.isdigit() or int(raw) < 1:
        raise ToolchainError(f"{BUILD_JOBS_ENV}={raw!r}: expected a positive whole number")
    return int(raw)


@dataclass(frozen=True)
class PeerSpec:
    name: str
    module: str
    version: str
    package: str
    # A Go release to fetch through the module proxy when the module needs a newer Go than the
    # local one; "local" otherwise (the toolchain's default: never download another Go).
    gotoolchain: str = "local"
    # "common": Argo CD's version variables live in <module>/common; "" for none.
    version_ldflags: str = ""
    pins: tuple[str, ...] = ()
    tidy_tolerant: bool = False


def spec_file() -> Path:
    return Path(__file__).resolve().parents[3] / "toolchain" / "peers.toml"


def load_specs(path: Path | None = None) -> dict[str, PeerSpec]:
    data = tomllib.loads((path or spec_file()).read_text())
    specs = {}
    for name, d in data.items():
        specs[name] = PeerSpec(
            name=name,
            module=d["module"],
            version=d["version"],
            package=d["package"],
            gotoolchain=d.get("gotoolchain", "local"),
            version_ldflags=d.get("version_ldflags", ""),
            pins=tuple(d.get("pins", ())),
            tidy_tolerant=bool(d.get("tidy_tolerant", False)),
        )
    return specs


def ldflags(spec: PeerSpec, info: dict[str, object]) -> str:
    """Linker flags: stripped, plus Argo CD's version variables. The version is given without
    its leading ``v`` (Argo CD prints ``v`` + version; ``vv3.6.1`` breaks ``/api/version``)."""
    flags = "-s -w"
    if spec.version_ldflags == "common":
        pkg = f"{spec.module}/common"
        origin = info.get("Origin")
        commit = origin.get("Hash", "unknown") if isinstance(origin, dict) else "unknown"
        flags += (
            f" -X {pkg}.version={spec.version.lstrip('v')}"
            f" -X {pkg}.buildDate={info.get('Time', '1970-01-01T00:00:00Z')}"
            f" -X {pkg}.gitCommit={commit} -X {pkg}.gitTreeState=clean"
        )
    return flags


def wrapper_edits(spec: PeerSpec, upstream: str) -> list[str]:
    """``go mod edit`` flags for the wrapper: upstream's versioned replaces (a replace to a
    local path is dropped), the toml's pins, upstream's ``go`` and ``godebug`` lines."""
    lines = upstream.splitlines()
    edits = [f"-replace={rep}" for rep in versioned_replaces(upstream)]
    edits += [f"-replace={pin}" for pin in spec.pins]
    edits += [f"-go={ln.split()[1]}" for ln in lines if ln.startswith("go ")]
    edits += [
        f"-godebug={ln.split(None, 1)[1].strip()}" for ln in lines if ln.startswith("godebug ")
    ]
    return edits


class PeerBuild:
    """One peer of ``toolchain/peers.toml`` in the cache (see the module contract)."""

    def __init__(self, spec: PeerSpec, root: Path | None = None) -> None:
        self.spec = spec
        self.root = (root or cache_root()) / "peers" / spec.name / spec.version.lstrip("v")
        self.binary = self.root / "bin" / spec.name
        self.src = self.root / "src"
        self.log = self.root / "build.log"
        self._stamp = self.root / ".built"

    def fingerprint(self) -> str:
        s = self.spec
        return (
            f"{s.module}@{s.version} {s.package} go={s.gotoolchain} pins={','.join(s.pins)} "
            f"recipe {RECIPE_REVISION}"
        )

    def is_built(self) -> bool:
        if not self.binary.is_file() or not self._stamp.is_file():
            return False
        return bool(self._read_stamp().get("fingerprint") == self.fingerprint())

    def _read_stamp(self) -> dict[str, object]:
        data = json.loads(self._stamp.read_text())
        return data if isinstance(data, dict) else {}

    @property
    def module_dir(self) -> Path:
        """The peer's module source in the module cache (CRDs, manifests, scripts)."""
        return Path(str(self._read_stamp()["module_dir"]))

    @property
    def build_seconds(self) -> float:
        return float(str(self._read_stamp().get("seconds", "nan")))

    def _env(self) -> dict[str, str]:
        env = _go_env(cgo=False)
        env["GOTOOLCHAIN"] = self.spec.gotoolchain
        return env

    def _go(self, *args: str, capture: bool = False, timeout: float = 1800) -> str:
        argv = ["nice", "-n", "19", "go", *args]
        try:
            if capture:
                return process.capture(argv, cwd=self.src, env=self._env(), timeout=timeout)
            return process.run(argv, cwd=self.src, env=self._env(), log=self.log, timeout=timeout)
        except FileNotFoundError as e:
            raise ToolchainError("the `go` command is not installed") from e
        except process.CommandError as e:
            raise ToolchainError(
                f"building {self.spec.name} failed at `go {' '.join(args[:2])}`: {e}; "
                f"see {self.log}"
            ) from e

    def build(self, say: Callable[[str], None] = print) -> float:
        """Build the peer (see the module contract); return the seconds it took."""
        started = time.monotonic()
        s = self.spec
        self.src.mkdir(parents=True, exist_ok=True)
        for stale in ("go.mod", "go.sum"):
            (self.src / stale).unlink(missing_ok=True)
        self.log.write_text(f"# building {s.module}@{s.version}\n")
        wanted = f"{s.module}@{s.version}"
        say(f"{s.name}: downloading {wanted} (GOTOOLCHAIN={s.gotoolchain})")
        self._go("mod", "init", f"kapstan.local/peers/{s.name}")
        info = json.loads(self._go("mod", "download", "-json", wanted, capture=True))
        upstream = Path(info["GoMod"]).read_text()
        edits = wrapper_edits(s, upstream)
        if edits:
            self._go("mod", "edit", *edits)
        (self.src / "tools.go").write_text(
            f'//go:build tools\n\npackage tools\n\nimport _ "{s.package}"\n'
        )
        say(f"{s.name}: resolving modules (go get, go mod tidy)")
        self._go("get", wanted)
        self._go("mod", "tidy", *(["-e"] if s.tidy_tolerant else []))
        resolved = time.monotonic() - started
        jobs = build_jobs()
        say(f"{s.name}: compiling at nice 19 with -p {jobs} (Argo CD: a quarter of an hour+)")
        self.binary.parent.mkdir(parents=True, exist_ok=True)
        self._go(
            "build", "-p", str(jobs), "-trimpath", "-ldflags", ldflags(s, info),
            "-o", str(self.binary), s.package, timeout=7200,
        )  # fmt: skip
        elapsed = time.monotonic() - started
        self._stamp.write_text(
            json.dumps(
                {
                    "fingerprint": self.fingerprint(),
                    "module_dir": info["Dir"],
                    "seconds": round(elapsed, 1),
                    "resolve_seconds": round(resolved, 1),
                    "binary_bytes": self.binary.stat().st_size,
                }
            )
        )
        return elapsed


def builds(names: Sequence[str] = PEERS) -> list[PeerBuild]:
    specs = load_specs()
    unknown = [n for n in names if n not in specs]
    if unknown:
        raise ToolchainError(f"unknown peer(s) {', '.join(unknown)}; known: {', '.join(specs)}")
    return [PeerBuild(specs[n]) for n in names]


def main(argv: Sequence[str] | None = None) -> int:
    names = list(sys.argv[1:] if argv is None else argv) or list(PEERS)
    try:
        for build in builds(names):
            if build.is_built():
                print(f"{build.spec.name}: {build.binary} is built")
                continue
            seconds = build.build()
            print(f"{build.spec.name}: built {build.binary} in {seconds:.0f} s")
    except ToolchainError as e:
        print(f"peers: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
