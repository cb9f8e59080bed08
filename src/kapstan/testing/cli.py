"""Run ``kapstan`` client commands in process, as a user types them, for tests.

Contract of :func:`run`: the argv goes through :func:`~kapstan.cli.argocd.globalflags.extract`
and a fresh :mod:`~kapstan.cli.argocd.session` exactly as ``main()`` does, with ``env`` as the
environment (``KAPSTAN_CONFIG`` should point at a test's own config file); the result has the
exit code, standard output and standard error apart. Call it from a worker thread
(``asyncio.to_thread``) when the API server runs in the test's event loop.
"""

from __future__ import annotations

import os
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


__all__ = ["CliResult", "run"]
