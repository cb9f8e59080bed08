"""``kapstan completion bash|zsh|fish``: the shell completion script, as ``argocd
completion`` prints it (``source <(kapstan completion bash)``). The script asks ``kapstan``
itself for completions through ``_KAPSTAN_COMPLETE`` (Typer's protocol), so it completes every
command, subcommand and flag of the installed version. Typer's script builder is private API:
``tests/unit/cli/test_completion.py`` completes a real command line so an upgrade that breaks
it fails there."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from typer._completion_shared import get_completion_script
from typer.completion import completion_init  # type: ignore[attr-defined]

COMPLETE_VAR = "_KAPSTAN_COMPLETE"
completion_init()  # Typer's shell classes answer _KAPSTAN_COMPLETE


class Shell(StrEnum):
    BASH = "bash"
    ZSH = "zsh"
    FISH = "fish"


def register(app: typer.Typer) -> None:
    @app.command()
    def completion(
        shell: Annotated[Shell, typer.Argument(help="bash, zsh or fish.")],
    ) -> None:
        """Print the shell completion script (e.g. `source <(kapstan completion bash)`)."""
        print(get_completion_script(prog_name="kapstan", complete_var=COMPLETE_VAR, shell=shell))


__all__ = ["COMPLETE_VAR", "Shell", "register"]
