"""``kapstan completion``: a script for each shell, and the protocol it relies on completes a
real command line."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from kapstan.localcluster.process import capture
from kapstan.testing.cli import run

KAPSTAN = str(Path(sys.executable).parent / "kapstan")


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_each_shell_gets_a_script_naming_the_protocol(shell: str) -> None:
    result = run(["completion", shell])
    assert result.exit_code == 0, result.stderr
    assert "_KAPSTAN_COMPLETE" in result.stdout


def test_the_protocol_completes_commands() -> None:
    env = {
        **os.environ,
        "COMP_WORDS": "kapstan lo",
        "COMP_CWORD": "1",
        "_KAPSTAN_COMPLETE": "complete_bash",
    }
    assert {"login", "logout"} <= set(capture([KAPSTAN], env=env, timeout=60).split())


def test_an_unknown_shell_is_a_usage_error() -> None:
    assert run(["completion", "tcsh"]).exit_code == 2
