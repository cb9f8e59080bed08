"""Where Kapstan keeps built tools and local clusters: outside the repository, always."""

from __future__ import annotations

from pathlib import Path

from kapstan.paths import cache_root


def clusters_root() -> Path:
    """Directory holding the state of clusters started with ``kapstan local-cluster up``."""
    return cache_root() / "clusters"


__all__ = ["cache_root", "clusters_root"]
