"""Run ``kapstan`` client commands in process, as a user types them, for tests.

Contract of :func:`run`: the argv goes through :func:`~kapstan.cli.argocd.globalflags.extract`
and a fresh :mod:`~kapstan.cli.argocd.session` exactly as ``main()`` does, with ``env`` as the
environment (``KAPSTAN_CONFIG`` should point at a test's own config file); the result has the
exit code, standard output and standard error apart. Call it from a worker thread
(``asyncio.to_thread``) when the API server runs in the test's event loop.
:func:`run_on_tty` does the same with standard output on a pseudo-terminal.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from unittest import mock

import typer
from typer.testing import CliRunner

from kapstan.cli import boolflags
from kapstan.cli.argocd import globalflags, session
from kapstan.cli.main import app


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


def run(
    argv: Sequence[str], *, env: Mapping[str, str] | None = None, stdin: str | None = None
) -> CliResult:
    environment = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})}
    with mock.patch.dict(os.environ, environment, clear=True):
        words, flags = globalflags.extract(list(argv))
        session.start(flags)
        words = boolflags.normalize(typer.main.get_command(app), words)
        try:
            result = CliRunner().invoke(app, words, input=stdin, catch_exceptions=False)
        finally:
            session.current().close()
    return CliResult(result.exit_code, result.stdout, result.stderr)


def run_on_tty(argv: Sequence[str], *, env: Mapping[str, str] | None = None) -> CliResult:
    """:func:`run`, with standard output on a pseudo-terminal (what a user at a terminal
    sees, control sequences included); ``stderr`` is not captured."""
    master, slave = os.openpty()
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # the terminal side closed
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    tty = os.fdopen(slave, "w", buffering=1, encoding="utf-8")
    environment = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "160", **(env or {})}
    environment.pop("NO_COLOR", None)
    code = 0
    try:
        with (
            mock.patch.dict(os.environ, environment, clear=True),
            mock.patch.object(sys, "stdout", tty),
        ):
            words, flags = globalflags.extract(list(argv))
            session.start(flags)
            command = typer.main.get_command(app)
            try:
                found = command.main(
                    args=boolflags.normalize(command, words),
                    prog_name="kapstan",
                    standalone_mode=False,
                )
                code = found if isinstance(found, int) else 0
            except typer.Exit as done:
                code = done.exit_code
            finally:
                session.current().close()
                tty.flush()
    finally:
        tty.close()
        reader.join(10)
        os.close(master)
    return CliResult(code, b"".join(chunks).decode(errors="replace"), "")


__all__ = ["CliResult", "run", "run_on_tty"]
