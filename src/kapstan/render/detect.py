"""Choosing the manifest tool as Argo CD's repo-server does.

Contract of :func:`detect`: an explicit tool block wins (``helm``, ``kustomize``,
``directory``; ``plugin`` is unsupported and an error); a ``chart`` field means a Helm
repository chart; otherwise ``Chart.yaml`` → Helm, a kustomization file → Kustomize, else
Directory.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kapstan.render.base import RenderError, SourceType
from kapstan.render.kustomize import find_kustomization


def detect(source: Mapping[str, Any], app_dir: Path | None) -> SourceType:
    """The source type for ``source`` whose files are in ``app_dir`` (None for repo charts)."""
    if source.get("plugin"):
        raise RenderError("config management plugins are not supported")
    blocks: tuple[tuple[SourceType, str], ...] = (
        ("Helm", "helm"),
        ("Kustomize", "kustomize"),
        ("Directory", "directory"),
    )
    explicit = [kind for kind, block in blocks if source.get(block)]
    if len(explicit) > 1:
        raise RenderError(f"more than one tool block set: {', '.join(explicit)}")
    if source.get("chart"):
        return "Helm"
    if explicit:
        return explicit[0]
    if app_dir is None:
        raise RenderError("source has neither a path nor a chart")
    if (app_dir / "Chart.yaml").is_file():
        return "Helm"
    if find_kustomization(app_dir) is not None:
        return "Kustomize"
    return "Directory"
