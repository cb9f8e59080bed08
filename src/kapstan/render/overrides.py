"""Parameter overrides stored in Git: ``.argocd-source.yaml`` and ``.argocd-source-<app>.yaml``.

Contract of :func:`with_overrides` (Argo CD's ``mergeSourceParameters``): the files are read
from the app's source directory, ``.argocd-source.yaml`` first, then
``.argocd-source-<app name>.yaml``; each is a YAML map of ApplicationSource fields (``helm``,
``kustomize``, ``directory``, ``plugin``) applied to the source as an RFC 7386 merge patch
(maps merge, lists such as ``kustomize.images`` or ``helm.parameters`` are replaced whole,
``null`` removes). ``repoURL``, ``path``, ``chart`` and ``targetRevision`` always stay what the
Application says: a file in the repository cannot point the app elsewhere. A missing file is
no override; an empty file is an empty one. A file that is not a map, over the file size
limit, not a regular file, or a symlink leading out of the repository is a
:class:`~kapstan.render.RenderError` naming it, so nothing renders half-overridden. These files
are configuration, never manifests: a Directory source skips them (:data:`FILE_PREFIX`).
This is where argocd-image-updater's default git write-back target lands.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kapstan.engine.actions.patches import merge_patch
from kapstan.render import paths, yamlio
from kapstan.render.base import Limits, RenderError

FILE_PREFIX = ".argocd-source"
SHARED_FILE = f"{FILE_PREFIX}.yaml"
# What a repository file may never change (Argo CD restores these after merging).
_KEPT = ("repoURL", "path", "chart", "targetRevision")


def app_file(app_name: str) -> str:
    """The app-specific override file's name."""
    return f"{FILE_PREFIX}-{app_name}.yaml"


def is_override_file(name: str) -> bool:
    """True for ``.argocd-source.yaml`` and ``.argocd-source-<anything>.yaml``."""
    return name == SHARED_FILE or (name.startswith(f"{FILE_PREFIX}-") and name.endswith(".yaml"))


def _read(app_dir: Path, root: Path, name: str, limits: Limits) -> Mapping[str, Any] | None:
    candidate = app_dir / name
    if not candidate.exists() and not candidate.is_symlink():
        return None
    rel = paths.relative(app_dir, root)
    shown = name if rel == "." else f"{rel}/{name}"
    real = paths.confine(root, shown, what="parameter overrides")
    if not real.is_file():
        raise RenderError("parameter overrides: not a regular file", file=shown)
    if real.stat().st_size > limits.max_file_bytes:
        raise RenderError(f"over the limit of {limits.max_file_bytes} bytes", file=shown)
    data = yamlio.load_values(real.read_text(errors="replace"), name=shown, limits=limits)
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise RenderError("parameter overrides must be a map of source fields", file=shown)
    return data


def with_overrides(
    source: Mapping[str, Any], app_dir: Path, root: Path, *, app_name: str, limits: Limits
) -> Mapping[str, Any]:
    """``source`` with the repository's override files applied (see the module contract)."""
    patches = [
        patch
        for name in (SHARED_FILE, *([app_file(app_name)] if app_name else []))
        if (patch := _read(app_dir, root, name, limits)) is not None
    ]
    if not patches:
        return source
    merged: Any = source
    for patch in patches:
        merged = merge_patch(merged, patch)
    out = dict(merged)
    for key in _KEPT:
        if key in source:
            out[key] = copy.deepcopy(source[key])
        else:
            out.pop(key, None)
    return out
