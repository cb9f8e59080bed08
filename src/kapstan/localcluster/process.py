"""The one module of the local-cluster tooling that starts processes.

Every process is started from an argv list (never a shell), with an explicit environment,
and in its own session so that it and its children can be signalled as a group. Long-running
components are identified by (pid, start time) so that a recycled pid is never signalled.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

_PR_SET_PDEATHSIG = 1
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


class CommandError(RuntimeError):
    """A command exited non-zero or timed out; ``output`` holds the tail of what it printed."""

    def __init__(self, argv: Sequence[str], message: str, output: str = "") -> None:
        self.argv = list(argv)
        self.output = output
        super().__init__(f"{Path(argv[0]).name}: {message}")


def run(
    argv: Sequence[str],
    *,
    log: Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 600.0,
    output_cap: int = 16 * 1024,
) -> str:
    """Run ``argv`` to completion with its output appended to ``log``; return the last
    ``output_cap`` bytes of what it printed.

    Raises CommandError when it exits non-zero or runs past ``timeout`` seconds (the whole
    process group is killed then).
    """
    with log.open("ab") as fh:
        start = fh.tell()
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdout=fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid)
            proc.wait()
            raise CommandError(
                argv, f"timed out after {timeout:.0f}s", _tail(log, start, output_cap)
            ) from None
    text = _tail(log, start, output_cap)
    if proc.returncode != 0:
        raise CommandError(argv, f"exited with status {proc.returncode}", text)
    return text


def completed(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    stdin: bytes | None = None,
    timeout: float = 120.0,
) -> tuple[int, str, str]:
    """Run ``argv`` to completion: (exit status, standard output, standard error).

    Raises CommandError only when it runs past ``timeout`` seconds (its group is killed).
    """
    proc = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        out, errout = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        proc.communicate()
        raise CommandError(argv, f"timed out after {timeout:.0f}s") from None
    return proc.returncode, out.decode(errors="replace"), errout.decode(errors="replace")


def capture(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    stdin: bytes | None = None,
    timeout: float = 120.0,
) -> str:
    """Run ``argv`` and return its standard output (standard error only goes into the error).

    Raises CommandError when it exits non-zero or runs past ``timeout`` seconds.
    """
    code, out, errout = completed(argv, env=env, cwd=cwd, stdin=stdin, timeout=timeout)
    if code != 0:
        raise CommandError(argv, f"exited with status {code}", errout)
    return out


def _tail(log: Path, start: int, cap: int) -> str:
    with log.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        end = fh.tell()
        fh.seek(max(start, end - cap))
        return fh.read().decode(errors="replace")


@dataclass(frozen=True)
class ProcessHandle:
    """A started long-running process: its pid and kernel start time (to detect pid reuse)."""

    name: str
    pid: int
    start_time: int

    def alive(self) -> bool:
        """True while the very process we started runs (not a later one with the same pid)."""
        st = _start_time(self.pid)
        return st is not None and st == self.start_time and not _is_zombie(self.pid)


def spawn(
    name: str,
    argv: Sequence[str],
    *,
    log: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    die_with_parent: bool = False,
) -> ProcessHandle:
    """Start ``argv`` in the background in a new session, output appended to ``log``.

    With ``die_with_parent`` the kernel sends SIGTERM to the process when the calling thread
    exits (Linux ``PR_SET_PDEATHSIG``), so a killed test run leaves nothing behind.
    """
    preexec = _set_pdeathsig if die_with_parent else None
    with log.open("ab") as fh:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdout=fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=preexec,  # noqa: PLW1509 - only prctl, which is async-signal-safe
        )
    # The handle (pid + start time), not the Popen object, identifies the process, so another
    # process can stop it. The Popen object is kept so that this process can reap its child.
    _CHILDREN[proc.pid] = proc
    st = _start_time(proc.pid)
    return ProcessHandle(name=name, pid=proc.pid, start_time=st or 0)


def stop(handle: ProcessHandle, *, grace: float = 10.0) -> None:
    """SIGTERM the process group of ``handle``, then SIGKILL after ``grace`` seconds; the
    process is reaped before this returns (no zombie, no Popen left thinking it runs)."""
    if _gone(handle):
        return
    _signal_group(handle.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if _gone(handle):
            return
        time.sleep(0.05)
    _kill_group(handle.pid)
    for _ in range(100):
        if _gone(handle):
            return
        time.sleep(0.05)


def _reap_finished() -> None:
    """Collect every child of ours that has exited, whoever stopped it (a component killed
    with its process group, a child gone with the thread that spawned it): no zombie, and no
    Popen left to warn at exit that it is "still running"."""
    for pid, child in list(_CHILDREN.items()):
        if child.poll() is not None:
            _CHILDREN.pop(pid, None)


atexit.register(_reap_finished)


def _gone(handle: ProcessHandle) -> bool:
    """Whether the process has exited, reaping it when it has (the check comes first: a
    process that exits between a reap and the check would stay a zombie)."""
    if handle.alive():
        return False
    _reap(handle.pid)
    _reap_finished()
    return True


def processes_mentioning(fragment: str) -> list[int]:
    """Pids of live processes whose command line contains ``fragment`` (a directory path)."""
    found = []
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if fragment in cmdline and not _is_zombie(int(entry.name)):
            found.append(int(entry.name))
    return found


def _set_pdeathsig() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may contain spaces: split after the last ')'.
    return raw[raw.rindex(")") + 2 :].split()


def _start_time(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None


def _is_zombie(pid: int) -> bool:
    fields = _stat_fields(pid)
    return fields is None or fields[0] in ("Z", "X")


def _reap(pid: int) -> None:
    child = _CHILDREN.get(pid)
    if child is not None:
        if child.poll() is not None:
            del _CHILDREN[pid]
        return
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:
        os.kill(pid, sig)


def _kill_group(pid: int) -> None:
    _signal_group(pid, signal.SIGKILL)
