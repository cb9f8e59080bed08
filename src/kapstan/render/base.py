"""Shared vocabulary of the render layer: errors, limits, tool configuration, results.

Contracts:

- every failure of manifest generation is a :class:`RenderError` naming the file (relative to
  the repository, or the tool) and, where known, the 1-based line;
- a :class:`RenderResult` is only ever built from a complete render (all-or-nothing);
- a :class:`Runner` is the seam through which tools are run; the default is
  :func:`kapstan.proc.run`, tests pass a spy or fake.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from kapstan import proc

SourceType = Literal["Helm", "Kustomize", "Directory"]


class RenderError(Exception):
    """Manifest generation failed; ``file`` and ``line`` locate the cause when known."""

    def __init__(self, reason: str, *, file: str | None = None, line: int | None = None) -> None:
        self.reason = reason
        self.file = file
        self.line = line
        where = file or ""
        if file and line:
            where = f"{file}:{line}"
        super().__init__(f"{where}: {reason}" if where else reason)


class ToolMissing(RenderError):
    """The tool a source needs is not installed; ``tool`` names it (``helm``, ``kustomize``)."""

    def __init__(self, tool: str) -> None:
        super().__init__("program not found", file=tool)
        self.tool = tool


@dataclass(frozen=True)
class Limits:
    """Bounds on one render. Defaults follow Argo CD where it has one (exec timeout 90 s)."""

    max_file_bytes: int = 8 * 1024 * 1024
    max_documents_per_file: int = 10_000
    max_documents: int = 50_000
    # Nodes a document may have once every alias is expanded; stops "billion laughs".
    max_alias_nodes: int = 1_000_000
    timeout: float = proc.DEFAULT_TIMEOUT
    max_output: int = 256 * 1024 * 1024


@dataclass(frozen=True)
class Tools:
    """Where the tool binaries are and what cluster the output is for (configuration only)."""

    helm: str = "helm"
    kustomize: str = "kustomize"
    kube_version: str | None = None
    api_versions: tuple[str, ...] = ()
    # Versions of the binaries, used only as part of the cache key.
    versions: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class HelmRepoCredentials:
    """The repository settings of a Helm source's ``repoURL`` (Argo CD's repository secret).

    ``username``/``password``: HTTP basic auth of a Helm HTTP repository (never put on a
    command line; see :mod:`kapstan.render.helm`). ``enable_oci``: ``repoURL`` is an OCI
    registry even without the ``oci://`` scheme. ``plain_http``: talk to an OCI registry over
    plain HTTP (Argo CD's ``insecureOCIForceHttp``). ``insecure``: skip TLS verification.
    """

    username: str = ""
    password: str = field(default="", repr=False)
    enable_oci: bool = False
    plain_http: bool = False
    insecure: bool = False


@dataclass(frozen=True)
class Manifest:
    """One rendered object and where it came from (repo-relative file, or ``helm:<template>``)."""

    obj: dict[str, Any]
    source: str


@dataclass(frozen=True)
class RenderResult:
    """The complete output of one render."""

    source_type: SourceType
    manifests: tuple[Manifest, ...] = field(default_factory=tuple)

    @property
    def objects(self) -> list[dict[str, Any]]:
        """The plain-dict manifests, in render order."""
        return [m.obj for m in self.manifests]


class Runner(Protocol):
    """Runs a program to completion (signature of :func:`kapstan.proc.run`, narrowed)."""

    def __call__(
        self,
        argv: Sequence[str],
        *,
        cwd: Path | None = ...,
        env: Mapping[str, str] | None = ...,
        timeout: float = ...,
        max_output: int = ...,
    ) -> Awaitable[proc.Completed]: ...


async def run_tool(
    runner: Runner,
    argv: Sequence[str],
    *,
    tool: str,
    limits: Limits,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    redact: Sequence[str] = (),
) -> bytes:
    """Run a tool under ``limits`` and translate every process failure into RenderError.

    ``redact`` strings (credentials) never appear in the error: they are passed to
    :func:`kapstan.proc.run` when that is the runner, and removed here for any runner.
    """
    try:
        if redact and runner is proc.run:
            done = await proc.run(
                argv,
                cwd=cwd,
                env=env,
                timeout=limits.timeout,
                max_output=limits.max_output,
                redact=redact,
            )
        else:
            done = await runner(
                argv, cwd=cwd, env=env, timeout=limits.timeout, max_output=limits.max_output
            )
    except proc.ProcessTimeout as e:
        reason = proc.redact_text(f"timed out after {limits.timeout:g}s; killed ({e})", redact)
        raise RenderError(reason, file=tool) from None
    except proc.OutputTooLarge:
        raise RenderError(f"output exceeded {limits.max_output} bytes; killed", file=tool) from None
    except proc.ProcessFailed as e:
        tail = e.stderr.strip()[-2000:] or str(e)
        raise RenderError(proc.redact_text(f"failed: {tail}", redact), file=tool) from None
    except proc.ProgramNotFound:
        raise ToolMissing(tool.split(maxsplit=1)[0]) from None
    except proc.ProcessError as e:
        raise RenderError(proc.redact_text(str(e), redact), file=tool) from None
    return done.stdout
