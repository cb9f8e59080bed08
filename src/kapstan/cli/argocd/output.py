"""What client commands print: ``-o json|yaml`` (the API's objects unchanged), ``name``, and
tables as ``argocd`` prints them (columns padded with spaces, a header in capitals; no colour
when standard output is not a terminal or ``NO_COLOR`` is set).

Contract: :func:`emit` writes ``json`` (2-space indented) or ``yaml`` of ``data`` and returns
True, or returns False for any other format (the caller prints its own view); :func:`table`
writes rows under headers; :class:`OutputFormat` names the formats a command may accept and
:func:`check_format` refuses others with the allowed list.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any

import yaml

from kapstan.cli.argocd.errors import CommandExit


class OutputFormat(StrEnum):
    JSON = "json"
    YAML = "yaml"
    WIDE = "wide"
    NAME = "name"
    TREE = "tree"
    TREE_DETAILED = "tree=detailed"
    ID = "id"
    TEXT = ""  # the default table or block


def check_format(raw: str, allowed: Iterable[OutputFormat]) -> OutputFormat:
    choices = list(allowed)
    try:
        found = OutputFormat(raw)
    except ValueError:
        found = None
    if found is None or found not in choices:
        names = "|".join(c.value for c in choices if c.value)
        raise CommandExit(2, f"unknown output format {raw!r}: use one of {names}")
    return found


def emit(data: Any, fmt: OutputFormat) -> bool:
    if fmt is OutputFormat.JSON:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return True
    if fmt is OutputFormat.YAML:
        sys.stdout.write(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        return True
    return False


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Columns padded to their widest cell plus two spaces (Go's tabwriter, as argocd)."""
    body = [["" if c is None else str(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in body:
        for i, cell in enumerate(row[: len(widths)]):
            widths[i] = max(widths[i], len(cell))
    for row in [list(headers), *body]:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[: len(widths)])]
        sys.stdout.write("  ".join(cells).rstrip() + "\n")


def block(pairs: Iterable[tuple[str, Any]]) -> None:
    """``Name:  value`` lines aligned, as ``argocd app get``'s header block."""
    items = [(f"{k}:", "" if v is None else str(v)) for k, v in pairs]
    width = max((len(k) for k, _ in items), default=0)
    for key, value in items:
        sys.stdout.write(f"{key.ljust(width)}  {value}".rstrip() + "\n")


__all__ = ["OutputFormat", "block", "check_format", "emit", "table"]
