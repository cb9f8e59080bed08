"""Build the Go toolchain Kapstan needs (control plane, kwok, kustomize, helm) from Go modules.

Versions come from ``toolchain/versions.toml`` (one file). Each tool is built in a generated
wrapper module under ``<cache>/toolchain/<version-set>/src/<tool>`` and installed into
``<cache>/toolchain/<version-set>/bin``. A stamp per tool makes a second run a no-op.

Why wrapper modules: ``go install k8s.io/kubernetes/cmd/...@v`` is refused because that module's
go.mod replaces its staging modules with local paths; the supported way is to pin every staging
module to ``v0.<minor>.<patch>`` with replace directives in a consuming module.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from kapstan.localcluster import process
from kapstan.localcluster.paths import cache_root

# Bump when the build recipe changes in a way that must produce new binaries.
RECIPE_REVISION = "1"


class ToolchainError(RuntimeError):
    """A tool could not be built or is missing; the message says what to do."""


def repo_root() -> Path:
    """The checkout this module runs from (``src/kapstan/localcluster`` is three levels down)."""
    return Path(__file__).resolve().parents[3]


def versions_file() -> Path:
    return repo_root() / "toolchain" / "versions.toml"


@dataclass(frozen=True)
class ToolSpec:
    """How to build one tool: the module to require, packages to build, binaries produced."""

    name: str
    module: str
    version: str
    packages: tuple[str, ...]
    binaries: tuple[str, ...]
    ldflags: str = "-s -w"
    tags: str = ""
    replaces: Callable[[Path, Path], list[str]] | None = None
    cgo: bool = False
    extra_env: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def _k8s_ldflags(version: str) -> str:
    # The version ldflags of kubernetes' hack/lib/version.sh; without them --version and
    # /version report v0.0.0-master and clients mis-detect the server version.
    major, minor = version.lstrip("v").split(".")[:2]
    parts = ["-s", "-w"]
    for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        for key, value in (
            ("gitVersion", version),
            ("gitMajor", major),
            ("gitMinor", minor),
            ("gitTreeState", "clean"),
            ("buildDate", "1970-01-01T00:00:00Z"),
        ):
            parts.append(f"-X '{pkg}.{key}={value}'")
    return " ".join(parts)


def _staging_replaces(staging: str) -> Callable[[Path, Path], list[str]]:
    def compute(gomod: Path, _workdir: Path) -> list[str]:
        text = gomod.read_text()
        mods = re.findall(r"^\s*(k8s\.io/[\w.-]+)\s+=>\s+\./staging/", text, re.MULTILINE)
        if not mods:
            raise ToolchainError(f"no staging replaces found in {gomod}")
        return [f"{m}={m}@{staging}" for m in mods]

    return compute


def load_specs(path: Path | None = None) -> tuple[str, list[ToolSpec]]:
    """Read the pinned versions; return (version-set id, build specs in build order)."""
    data = tomllib.loads((path or versions_file()).read_text())
    canonical = json.dumps({"recipe": RECIPE_REVISION, **data}, sort_keys=True)
    set_id = hashlib.sha256(canonical.encode()).hexdigest()[:12]
    k8s = data["kubernetes"]
    specs = [
        ToolSpec(
            name="kubernetes",
            module="k8s.io/kubernetes",
            version=k8s["version"],
            packages=tuple(
                f"k8s.io/kubernetes/cmd/{c}"
                for c in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl")
            ),
            binaries=("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"),
            ldflags=_k8s_ldflags(k8s["version"]),
            tags="selinux,notest",
            replaces=_staging_replaces(k8s["staging"]),
        ),
        ToolSpec(
            name="etcd",
            module="go.etcd.io/etcd/server/v3",
            version=data["etcd"]["version"],
            packages=("go.etcd.io/etcd/server/v3",),
            binaries=("etcd",),
        ),
        ToolSpec(
            name="kwok",
            module="sigs.k8s.io/kwok",
            version=data["kwok"]["version"],
            packages=("sigs.k8s.io/kwok/cmd/kwok",),
            binaries=("kwok",),
            ldflags=f"-s -w -X 'sigs.k8s.io/kwok/pkg/consts.Version={data['kwok']['version']}'",
        ),
        ToolSpec(
            name="kustomize",
            module="sigs.k8s.io/kustomize/kustomize/v5",
            version=data["kustomize"]["version"],
            packages=("sigs.k8s.io/kustomize/kustomize/v5",),
            binaries=("kustomize",),
            ldflags=(
                "-s -w -X 'sigs.k8s.io/kustomize/api/provenance.version="
                f"{data['kustomize']['version']}'"
            ),
        ),
        ToolSpec(
            name="helm",
            module="helm.sh/helm/v3",
            version=data["helm"]["version"],
            packages=("helm.sh/helm/v3/cmd/helm",),
            binaries=("helm",),
            ldflags=(
                f"-s -w -X 'helm.sh/helm/v3/internal/version.version={data['helm']['version']}'"
            ),
        ),
    ]
    return set_id, specs


class Toolchain:
    """The built tools of one version set; ``path(name)`` gives a binary's absolute path."""

    def __init__(self, root: Path | None = None, versions: Path | None = None) -> None:
        self.set_id, self.specs = load_specs(versions)
        self.root = (root or cache_root()) / "toolchain" / self.set_id
        self.bin_dir = self.root / "bin"

    def path(self, binary: str) -> Path:
        """Absolute path of ``binary``; ToolchainError (saying to run make toolchain) if absent."""
        p = self.bin_dir / binary
        if not p.exists():
            raise ToolchainError(f"{binary} is not built in {self.bin_dir}; run `make toolchain`")
        return p

    def _stamp(self, spec: ToolSpec) -> Path:
        return self.bin_dir / f".{spec.name}.built"

    def _fingerprint(self, spec: ToolSpec) -> str:
        return f"{spec.module}@{spec.version} {spec.ldflags} {spec.tags}"

    def is_built(self, spec: ToolSpec) -> bool:
        stamp = self._stamp(spec)
        return (
            stamp.exists()
            and json.loads(stamp.read_text()).get("fingerprint") == self._fingerprint(spec)
            and all((self.bin_dir / b).exists() for b in spec.binaries)
        )

    def missing(self) -> list[ToolSpec]:
        return [s for s in self.specs if not self.is_built(s)]

    def build(self, spec: ToolSpec, on_step: Callable[[str], None] = lambda _s: None) -> float:
        """Build one tool; return the seconds it took. Raises ToolchainError with the log tail."""
        started = time.monotonic()
        src = self.root / "src" / spec.name
        logs = self.root / "logs"
        if src.exists():
            shutil.rmtree(src)
        src.mkdir(parents=True)
        logs.mkdir(parents=True, exist_ok=True)
        self.bin_dir.mkdir(parents=True, exist_ok=True)
        log = logs / f"{spec.name}.log"
        log.write_text(f"# {datetime.now(UTC).isoformat()} building {spec.module}@{spec.version}\n")
        env = _go_env(cgo=spec.cgo)
        env.update(dict(spec.extra_env))

        def go(*args: str, timeout: float = 1800, stdout_only: bool = False) -> str:
            try:
                if stdout_only:  # output that is parsed: keep "go: downloading" noise out
                    return process.capture(["go", *args], cwd=src, env=env, timeout=timeout)
                return process.run(["go", *args], cwd=src, env=env, log=log, timeout=timeout)
            except FileNotFoundError as e:
                raise ToolchainError("the `go` command is not installed (Go >= 1.25 needed)") from e
            except process.CommandError as e:
                raise ToolchainError(
                    f"building {spec.name} {spec.version} failed at `go {' '.join(args[:2])}`: "
                    f"{e}\n--- last output ({log}) ---\n{e.output[-4000:]}"
                ) from e

        on_step("resolving modules")
        _prepare_module(spec, src, go)
        go("get", f"{spec.module}@{spec.version}")
        go("mod", "tidy")
        on_step("compiling")
        args = ["build", "-p", str(os.cpu_count() or 2), "-trimpath", "-ldflags", spec.ldflags]
        if spec.tags:
            args += ["-tags", spec.tags]
        tmp_out = self.root / "tmp-bin" / spec.name
        if tmp_out.exists():
            shutil.rmtree(tmp_out)
        tmp_out.mkdir(parents=True)
        # One package: name the output file (a module path ending in /v3 would otherwise
        # produce a binary named after its parent directory). Several: a directory.
        target = tmp_out / spec.binaries[0] if len(spec.packages) == 1 else Path(f"{tmp_out}/")
        go(
            *args,
            "-o",
            f"{target}/" if len(spec.packages) > 1 else str(target),
            *spec.packages,
            timeout=3600,
        )
        for binary in spec.binaries:
            built = tmp_out / binary
            if not built.exists():
                raise ToolchainError(f"`go build` did not produce {binary} for {spec.name}")
            built.replace(self.bin_dir / binary)
        shutil.rmtree(tmp_out, ignore_errors=True)
        elapsed = time.monotonic() - started
        self._stamp(spec).write_text(
            json.dumps({"fingerprint": self._fingerprint(spec), "seconds": round(elapsed, 1)})
        )
        return elapsed


def _prepare_module(spec: ToolSpec, src: Path, go: Callable[..., str]) -> None:
    """Create the wrapper module in ``src``: init, replaces, go/godebug lines, tools.go."""
    go("mod", "init", f"kapstan.local/toolchain/{spec.name}")
    if spec.replaces is not None:
        info = json.loads(
            go("mod", "download", "-json", f"{spec.module}@{spec.version}", stdout_only=True)
        )
        upstream = Path(info["GoMod"])
        for rep in spec.replaces(upstream, src):
            go("mod", "edit", f"-replace={rep}")
        # godebug lines only count in the main module: copy the upstream default so Go's
        # newer defaults do not silently change TLS/x509 behaviour of the servers.
        for line in upstream.read_text().splitlines():
            if line.startswith("godebug "):
                go("mod", "edit", f"-godebug={line.split(None, 1)[1].strip()}")
            if line.startswith("go "):
                go("mod", "edit", f"-go={line.split()[1]}")
    imports = "\n".join(f'\t_ "{p}"' for p in spec.packages)
    (src / "tools.go").write_text(f"//go:build tools\n\npackage tools\n\nimport (\n{imports}\n)\n")


def _go_env(*, cgo: bool) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k in ("PATH", "HOME", "GOPATH", "GOMODCACHE", "GOCACHE", "GOPROXY", "GONOSUMDB")
        or k
        in ("GOFLAGS", "GOPRIVATE", "GOSUMDB", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "TMPDIR")
    }
    env["GOTOOLCHAIN"] = "local"  # never download another Go because a go.mod asks for one
    env["CGO_ENABLED"] = "1" if cgo else "0"
    env["GOFLAGS"] = (env.get("GOFLAGS", "") + " -modcacherw").strip()
    return env


def build_all(toolchain: Toolchain, stream: TextIO | None = None) -> dict[str, float]:
    """Build every missing tool; return seconds per built tool (tools already built are left
    alone). Raises :class:`ToolchainError` from the first build that fails.

    Progress goes to ``stream`` (standard error by default): a rich live display when it is a
    terminal; otherwise (CI logs, ``make ... | tee``) one plain ``toolchain: ...`` line per
    step, flushed at once, because a live display written to a file shows nothing until the
    end and a kubernetes build takes minutes.
    """
    out = stream if stream is not None else sys.stderr
    if out.isatty():
        return _build_rich(toolchain, out)
    return _build_plain(toolchain, out)


def _build_plain(toolchain: Toolchain, out: TextIO) -> dict[str, float]:
    def say(line: str) -> None:
        print(f"toolchain: {line}", file=out, flush=True)

    queue = {spec.name: n for n, spec in enumerate(toolchain.missing(), 1)}
    say(f"version set {toolchain.set_id}, {len(queue)} of {len(toolchain.specs)} to build")
    times: dict[str, float] = {}
    for spec in toolchain.specs:
        tool = f"{spec.name} {spec.version}"
        if spec.name not in queue:
            say(f"{tool} up to date")
            continue
        say(f"building {tool} ({queue[spec.name]}/{len(queue)})")

        def step(desc: str, tool: str = tool) -> None:
            say(f"{tool}: {desc}")

        started = time.monotonic()
        try:
            times[spec.name] = toolchain.build(spec, step)
        except ToolchainError:
            say(f"{tool} failed after {time.monotonic() - started:.0f} s")
            raise
        say(f"{tool} built in {times[spec.name]:.0f} s")
    say(f"all tools built in {toolchain.bin_dir}")
    return times


def _build_rich(toolchain: Toolchain, out: TextIO) -> dict[str, float]:
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

    console = Console(file=out)
    missing = toolchain.missing()
    if not missing:
        console.print(f"toolchain {toolchain.set_id}: all tools built in {toolchain.bin_dir}")
        return {}
    times: dict[str, float] = {}
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.fields[tool]}[/] {task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        overall = progress.add_task("", total=len(missing), tool=f"toolchain {toolchain.set_id}")
        for spec in missing:
            task = progress.add_task("queued", tool=f"{spec.name} {spec.version}")

            def step(desc: str, task_id: TaskID = task) -> None:
                progress.update(task_id, description=desc)

            times[spec.name] = toolchain.build(spec, step)
            progress.update(task, description=f"built in {times[spec.name]:.0f}s")
            progress.stop_task(task)
            progress.advance(overall)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kapstan.localcluster")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("build", help="build every missing tool")
    sub.add_parser("path", help="print the bin directory of the pinned version set")
    sub.add_parser("status", help="show which tools are built")
    ui = sub.add_parser("argocd-ui", help="build Argo CD's web UI (toolchain/argocd-ui.toml)")
    ui.add_argument("--path", action="store_true", help="only print where the build is")
    sub.add_parser(
        "keycloak", help="fetch Keycloak for the SSO tests (kapstan.localcluster.keycloak)"
    )
    args = parser.parse_args(argv)
    if args.cmd == "keycloak":
        from kapstan.localcluster import keycloak

        return keycloak.main()
    if args.cmd == "argocd-ui":
        from kapstan.localcluster import argocd_ui

        return argocd_ui.main(path_only=args.path)
    tc = Toolchain()
    if args.cmd == "path":
        print(tc.bin_dir)
        return 0
    if args.cmd == "status":
        for spec in tc.specs:
            state = "built" if tc.is_built(spec) else "missing"
            print(f"{spec.name:12} {spec.version:10} {state}")
        return 0
    try:
        build_all(tc)
    except ToolchainError as e:
        print(f"error: {e}", file=sys.stderr, flush=True)
        return 1
    return 0
