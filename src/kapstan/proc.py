"""The one place where Kapstan's product code runs external programs (git, helm, kustomize).

Contract of :func:`run`:

- argv list only, never a shell; the program is looked up on ``PATH`` of the given environment;
- the environment is exactly ``env`` plus an allow-list of harmless variables from our own
  (``PATH``, ``HOME``, ``LANG``, ``TMPDIR``…), so no secret leaks into a tool by accident;
- killed (whole process group) after ``timeout`` seconds → :class:`ProcessTimeout`;
- standard output beyond ``max_output`` bytes kills the process → :class:`OutputTooLarge`
  (a tool writing gigabytes cannot exhaust memory);
- a non-zero exit → :class:`ProcessFailed` with the tail of standard error;
- ``redact`` strings (credentials) are replaced by ``***`` in every message it produces.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")
DEFAULT_TIMEOUT = 90.0  # Argo CD's ARGOCD_EXEC_TIMEOUT default
DEFAULT_MAX_OUTPUT = 256 * 1024 * 1024
_STDERR_KEEP = 16 * 1024
_CHUNK = 64 * 1024


class ProcessError(RuntimeError):
    """Base class: the message names the program and says what went wrong."""


class ProcessFailed(ProcessError):
    """The program exited non-zero; ``stderr`` holds the (redacted) tail of its error output."""

    def __init__(self, message: str, returncode: int, stderr: str) -> None:
        super().__init__(message)
        self.returncode = returncode
        self.stderr = stderr


class ProcessTimeout(ProcessError):
    """The program ran past its time limit and was killed."""


class OutputTooLarge(ProcessError):
    """The program wrote more than the output limit and was killed."""


class ProgramNotFound(ProcessError):
    """The program is not installed (not found on ``PATH``, or its path does not exist)."""


@dataclass(frozen=True)
class Completed:
    """A finished run: standard output (bytes) and the redacted tail of standard error."""

    stdout: bytes
    stderr: str


def redact_text(text: str, secrets: Sequence[str]) -> str:
    """Replace each non-empty secret in ``text`` by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _environment(env: Mapping[str, str] | None) -> dict[str, str]:
    base = {k: os.environ[k] for k in _INHERITED if k in os.environ}
    base.update(env or {})
    return base


async def run(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    stdin: bytes | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_output: int = DEFAULT_MAX_OUTPUT,
    redact: Sequence[str] = (),
) -> Completed:
    """Run ``argv`` to completion under the limits described in the module docstring."""
    name = Path(argv[0]).name
    proc = await _spawn(argv, cwd, env, stdin is not None)
    out = bytearray()
    err = bytearray()
    too_large = False

    async def pump_out() -> None:
        nonlocal too_large
        assert proc.stdout is not None
        while chunk := await proc.stdout.read(_CHUNK):
            if too_large:
                continue  # killed already: drain to EOF so the pipe closes cleanly
            out.extend(chunk)
            if len(out) > max_output:
                too_large = True
                out.clear()
                _kill(proc)

    async def pump_err() -> None:
        assert proc.stderr is not None
        while chunk := await proc.stderr.read(_CHUNK):
            err.extend(chunk)
            if len(err) > _STDERR_KEEP:
                del err[: len(err) - _STDERR_KEEP]

    async def feed() -> None:
        if stdin is not None and proc.stdin is not None:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                proc.stdin.write(stdin)
                await proc.stdin.drain()
            proc.stdin.close()

    async def finish() -> None:
        await asyncio.gather(pump_out(), pump_err(), feed())
        await proc.wait()

    task = asyncio.ensure_future(finish())
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout)
    except BaseException as e:
        # Timeout or cancellation: kill the group, then let the readers reach EOF (bounded).
        _kill(proc)
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(task, 5)
        if isinstance(e, TimeoutError):
            raise ProcessTimeout(f"{name}: timed out after {timeout:g}s; killed") from None
        raise
    if too_large:
        raise OutputTooLarge(f"{name}: output exceeded {max_output} bytes; killed")
    stderr = redact_text(err.decode(errors="replace"), redact)
    if proc.returncode != 0:
        last = stderr.strip().splitlines()[-1:] or ["(no error output)"]
        raise ProcessFailed(
            f"{name}: exited with status {proc.returncode}: {last[0]}", proc.returncode or 1, stderr
        )
    return Completed(stdout=bytes(out), stderr=stderr)


async def _spawn(
    argv: Sequence[str], cwd: Path | None, env: Mapping[str, str] | None, with_stdin: bool
) -> asyncio.subprocess.Process:
    try:
        return await asyncio.create_subprocess_exec(
            *argv,
            cwd=cwd,
            env=_environment(env),
            stdin=asyncio.subprocess.PIPE if with_stdin else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
    except FileNotFoundError as e:
        raise ProgramNotFound(f"{Path(argv[0]).name}: program not found") from e


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


async def start_service(
    argv: Sequence[str], *, env: Mapping[str, str] | None = None
) -> asyncio.subprocess.Process:
    """Start a long-running program (a server Kapstan supervises, such as Dex) with the same
    environment allow-list as :func:`run`; its standard output and error are one pipe
    (``stdout``), its stdin is closed, it gets SIGKILL should this process die first. The
    caller stops it (SIGTERM) and reaps it. Raises :class:`ProgramNotFound`."""
    try:
        return await asyncio.create_subprocess_exec(
            *argv,
            env=_environment(env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
    except FileNotFoundError as e:
        raise ProgramNotFound(f"{Path(argv[0]).name}: program not found") from e


def _kill(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
