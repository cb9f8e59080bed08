"""Every ``kapstan`` command and subcommand answers ``--help`` with its usage and a summary
(Argo CD users find their way by ``--help``); none crashes on it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import typer

from kapstan.cli.main import app
from kapstan.testing.cli import run


def _paths(command: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command path (Typer's own Click: groups are what carry ``commands``)."""
    yield prefix
    for name, sub in (getattr(command, "commands", None) or {}).items():
        yield from _paths(sub, (*prefix, name))


PATHS = list(_paths(typer.main.get_command(app)))


def test_the_tree_holds_argocds_groups() -> None:
    top = {p[0] for p in PATHS if p}
    assert {
        "login",
        "logout",
        "app",
        "proj",
        "repo",
        "repocreds",
        "cluster",
        "account",
        "cert",
        "admin",
        "completion",
        "version",
    } <= top


@pytest.mark.parametrize("path", PATHS, ids=[" ".join(p) or "kapstan" for p in PATHS])
def test_help(path: tuple[str, ...]) -> None:
    result = run([*path, "--help"])
    assert result.exit_code == 0, result.stderr
    assert "Usage:" in result.stdout
