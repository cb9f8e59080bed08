"""Where Kapstan keeps its caches on the machine it runs on: outside any repository, always.

``$KAPSTAN_CACHE`` if set, else ``~/.cache/kapstan``. Under it: ``controller/`` (git and render
caches of ``kapstan controller``, unless ``--cache-dir`` says otherwise), ``server/`` (the
API server's repository checks and manifest renders), ``toolchain/<set>/bin``
(the Go-built tools ``make toolchain`` produces) and ``clusters/`` (local clusters).
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """Return ``$KAPSTAN_CACHE`` if set, else ``~/.cache/kapstan``."""
    env = os.environ.get("KAPSTAN_CACHE")
    if env:
        return Path(env).expanduser().resolve()
    return Path.home() / ".cache" / "kapstan"


def toolchain_root() -> Path:
    """Directory holding one ``<set>/bin`` folder per toolchain version set."""
    return cache_root() / "toolchain"


__all__ = ["cache_root", "toolchain_root"]
