"""Failures of client commands as one clear line and Argo CD's exit codes.

Contract: :func:`handled` runs a command body; an :class:`~kapstan.client.http.ApiCallError`,
a config-file problem, :class:`~kapstan.cli.argocd.session.NotLoggedIn` or a bad global flag
prints ``error: <message> (HTTP <status>); <what to do>`` on standard error and exits with
:data:`GENERIC` (20, Argo CD's generic error), or :data:`CONNECTION` (11) when the server
cannot be reached. Commands with exit codes of their own (``app diff``: 1 for a difference,
2 on error) raise :class:`CommandExit`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from kapstan.cli.argocd.globalflags import FlagError
from kapstan.cli.argocd.session import NotLoggedIn
from kapstan.cli.common import err
from kapstan.client.config import ConfigFileError
from kapstan.client.http import ApiCallError

GENERIC = 20
CONNECTION = 11


class CommandExit(Exception):
    """Leave with ``code`` after printing ``message`` (when there is one)."""

    def __init__(self, code: int, message: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def fail_line(message: str) -> None:
    err.print(f"[red]error:[/] {message}", markup=True, highlight=False, soft_wrap=True)


@contextmanager
def handled() -> Iterator[None]:
    try:
        yield
    except CommandExit as done:
        if done.message:
            fail_line(done.message)
        raise typer.Exit(done.code) from None
    except ApiCallError as failure:
        fail_line(str(failure))
        raise typer.Exit(CONNECTION if failure.status == 0 else GENERIC) from None
    except (NotLoggedIn, ConfigFileError, FlagError) as failure:
        fail_line(str(failure))
        raise typer.Exit(GENERIC) from None


__all__ = ["CONNECTION", "GENERIC", "CommandExit", "fail_line", "handled"]
