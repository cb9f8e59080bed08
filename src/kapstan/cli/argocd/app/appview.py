"""(to be written)"""

from __future__ import annotations

import typer


def register(group: typer.Typer) -> None:
    del group


__all__ = ["register"]
