"""Write-back ``git`` to ``.argocd-source-<app>.yaml``: argocd-image-updater's default target.

Contract of :func:`edit_source_file`: the file (in the app's source directory) is an
ApplicationSource fragment the renderer merges into the app's source
(:mod:`kapstan.render.overrides`). The chosen images are written into it exactly as write-back
``argocd`` writes them into the Application (:func:`~kapstan.services.images.writeback.
argocd_source_patch`: ``kustomize.images`` for Kustomize apps, ``helm.parameters`` for Helm
apps, by the app's ``status.sourceType``), on top of what the file already says: other
images, parameters and fields in it are kept. A file that is not a YAML map is an error, never
overwritten. Returns whether the file changed (nothing to commit otherwise).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from kapstan.engine.actions.patches import merge_patch
from kapstan.render.overrides import app_file
from kapstan.services.images.writeback import WriteBackError, argocd_source_patch

if TYPE_CHECKING:
    from kapstan.services.images.gitwriteback import GitChange

MAX_BYTES = 1024 * 1024


def source_file_name(app_name: str) -> str:
    """``.argocd-source-<app>.yaml``."""
    return app_file(app_name)


def _load(path: Path, shown: str) -> dict[str, Any]:
    if not path.exists():
        return {}
    if not path.is_file() or path.stat().st_size > MAX_BYTES:
        raise WriteBackError(f"{shown} is not a file of at most {MAX_BYTES} bytes")
    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise WriteBackError(f"{shown} is not valid YAML: {err}") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise WriteBackError(f"{shown} is not a map of source fields; not overwritten")
    return doc


def edit_source_file(
    file: str, app: Mapping[str, Any], changes: Sequence[GitChange]
) -> Callable[[Path], bool]:
    """The edit of ``file`` (repository-relative) in a work tree (see the module contract)."""
    status = app.get("status") or {}

    def edit(work: Path) -> bool:
        path = (work / file).resolve()
        if not path.is_relative_to(work.resolve()):
            raise WriteBackError(f"{file!r} leaves the repository")
        doc = _load(path, file)
        changed = False
        for change in changes:
            # The file's own fields stand for the source, so the patch builds on them.
            view = {"spec": {"source": doc}, "status": {"sourceType": status.get("sourceType")}}
            patch = argocd_source_patch(view, change.spec, change.tag, change.digest)
            if patch is not None:
                doc = merge_patch(doc, patch)
                changed = True
        if changed:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(yaml.safe_dump(doc, sort_keys=False))
        return changed

    return edit


__all__ = ["edit_source_file", "source_file_name"]
