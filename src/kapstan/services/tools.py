"""Where the manifest tools (helm, kustomize) are, for the manifest generator.

Contract of :func:`find_tools`: for each tool, an explicit path (``kapstan controller
--helm-path`` / ``--kustomize-path``) is used when given and must be an executable file (else
:class:`ToolError`, so a typo stops the start instead of failing every app); otherwise the
tool is looked up on ``PATH``, then in the toolchain cache that ``make toolchain`` fills
(``$KAPSTAN_CACHE/toolchain/<set>/bin``, newest set first). A tool found nowhere is listed in
``missing``: the caller reports it once at start, and each app that needs it gets a
``ComparisonError`` saying how to install it (:data:`MISSING_HINT`).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from kapstan.paths import toolchain_root
from kapstan.render import Tools

TOOLS = ("helm", "kustomize")
MISSING_HINT = (
    "install it on the PATH of kapstan controller, pass --{tool}-path, "
    "or run `make toolchain` in a Kapstan checkout"
)


class ToolError(ValueError):
    """An explicitly configured tool path is not an executable file."""


@dataclass(frozen=True)
class ToolLookup:
    """The tools found (name → absolute path) and the names found nowhere."""

    found: Mapping[str, Path] = field(default_factory=dict)
    missing: tuple[str, ...] = ()

    def apply(self, base: Tools | None = None) -> Tools:
        """``base`` with the found paths filled in."""
        tools = base or Tools()
        helm, kustomize = self.found.get("helm"), self.found.get("kustomize")
        return replace(
            tools,
            helm=str(helm) if helm else tools.helm,
            kustomize=str(kustomize) if kustomize else tools.kustomize,
        )


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _in_toolchain(name: str, root: Path) -> Path | None:
    try:
        sets = [p for p in root.iterdir() if p.is_dir()]
    except OSError:
        return None
    for folder in sorted(sets, key=lambda p: p.stat().st_mtime, reverse=True):
        candidate = folder / "bin" / name
        if _executable(candidate):
            return candidate
    return None


def find_tools(
    explicit: Mapping[str, str | None] | None = None,
    *,
    path_env: str | None = None,
    toolchain: Path | None = None,
) -> ToolLookup:
    """Find every tool of :data:`TOOLS` (see the module contract)."""
    explicit = explicit or {}
    search_path = os.environ.get("PATH", "") if path_env is None else path_env
    root = toolchain or toolchain_root()
    found: dict[str, Path] = {}
    missing: list[str] = []
    for name in TOOLS:
        given = explicit.get(name)
        if given:
            path = Path(given).expanduser()
            if not _executable(path):
                raise ToolError(f"--{name}-path {given}: not an executable file")
            found[name] = path.resolve()
            continue
        on_path = shutil.which(name, path=search_path)
        located = Path(on_path) if on_path else _in_toolchain(name, root)
        if located is None:
            missing.append(name)
        else:
            found[name] = located
    return ToolLookup(found, tuple(missing))


__all__ = ["MISSING_HINT", "TOOLS", "ToolError", "ToolLookup", "find_tools"]
