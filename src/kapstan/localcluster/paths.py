"""Where Kapstan keeps built tools and local clusters: outside the repository, always."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """Return ``$KAPSTAN_CACHE`` if set, else ``~/.cache/kapstan``."""
    env = os.environ.get("KAPSTAN_CACHE")
    if env:
        return Path(env).expanduser().resolve()
    return Path.home() / ".cache" / "kapstan"


def clusters_root() -> Path:
    """Directory holding the state of clusters started with ``kapstan local-cluster up``."""
    return cache_root() / "clusters"
