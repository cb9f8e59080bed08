"""Kustomize sources: Argo CD's overrides applied to a private copy, then ``kustomize build``.

Contract of :func:`render_kustomize`:

- the repository is copied to a temp directory after checking that no symlink leaves it
  (in-repo absolute symlinks are rewritten relative, so the copy never points back into the
  original); the original checkout is never modified;
- overrides edit the app's kustomization file the way ``kustomize edit`` would:
  ``images`` (``set image``: entries replaced by name), ``namePrefix``/``nameSuffix``,
  ``namespace`` (``set namespace``), ``commonLabels``/``commonAnnotations`` (``add label`` /
  ``add annotation``: an existing key is an error unless ``forceCommonLabels`` /
  ``forceCommonAnnotations``; ``labelWithoutSelector`` adds a ``labels`` entry without
  selectors), ``replicas`` (replaced by name), ``components`` (appended) and ``patches``
  (appended);
- ``kustomize build`` runs through the runner with the render's timeout and output cap;
  kustomize's default load restrictor keeps it inside the copied tree.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from kapstan.render import paths, yamlio
from kapstan.render.base import Limits, Manifest, RenderError, Runner, Tools, run_tool

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


def find_kustomization(directory: Path) -> Path | None:
    """The kustomization file of ``directory`` (first of the three names kustomize accepts)."""
    for name in KUSTOMIZATION_FILES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def parse_image(spec: str) -> dict[str, str]:
    """An Argo CD image override (``name[=newName][:tag][@digest]``) as a kustomize entry."""
    name, eq, new = spec.partition("=")
    image = new if eq else name
    entry: dict[str, str] = {}
    image, at, digest = image.partition("@")
    slash = image.rfind("/")
    colon = image.rfind(":")
    tag = ""
    if colon > slash:
        image, tag = image[:colon], image[colon + 1 :]
    if eq:
        entry["name"] = name
        if image != name:
            entry["newName"] = image
    else:
        entry["name"] = image
    if tag:
        entry["newTag"] = tag
    if at:
        entry["digest"] = digest
    return entry


def _replace_by_name(items: list[Any], new: dict[str, Any]) -> list[Any]:
    kept = [i for i in items if not (isinstance(i, Mapping) and i.get("name") == new["name"])]
    return [*kept, new]


def _add_pairs(
    doc: dict[str, Any], field_name: str, pairs: Mapping[str, Any], *, force: bool
) -> None:
    current = doc.get(field_name) or {}
    for key, value in pairs.items():
        if key in current and not force:
            raise RenderError(f"{field_name}: key {key!r} already in the kustomization file")
        current[str(key)] = str(value)
    doc[field_name] = current


def apply_overrides(doc: dict[str, Any], spec: Mapping[str, Any]) -> dict[str, Any]:
    """Apply the ``kustomize`` block of an ApplicationSource to a kustomization (in place)."""
    for image in spec.get("images") or []:
        doc["images"] = _replace_by_name(list(doc.get("images") or []), parse_image(str(image)))
    for field_name in ("namePrefix", "nameSuffix", "namespace"):
        if spec.get(field_name):
            doc[field_name] = str(spec[field_name])
    labels = spec.get("commonLabels") or {}
    if labels and spec.get("labelWithoutSelector"):
        entry: dict[str, Any] = {"pairs": {str(k): str(v) for k, v in labels.items()}}
        entry["includeSelectors"] = False
        if spec.get("labelIncludeTemplates"):
            entry["includeTemplates"] = True
        doc["labels"] = [*(doc.get("labels") or []), entry]
    elif labels:
        _add_pairs(doc, "commonLabels", labels, force=bool(spec.get("forceCommonLabels")))
    annotations = spec.get("commonAnnotations") or {}
    if annotations:
        force = bool(spec.get("forceCommonAnnotations"))
        _add_pairs(doc, "commonAnnotations", annotations, force=force)
    for replica in spec.get("replicas") or []:
        try:
            count = int(replica["count"])
        except (KeyError, TypeError, ValueError):
            raise RenderError(f"replicas: invalid entry {replica!r}") from None
        entry = {"name": str(replica.get("name", "")), "count": count}
        doc["replicas"] = _replace_by_name(list(doc.get("replicas") or []), entry)
    if spec.get("components"):
        doc["components"] = [*(doc.get("components") or []), *spec["components"]]
    if spec.get("patches"):
        doc["patches"] = [*(doc.get("patches") or []), *spec["patches"]]
    return doc


def _copy_repo(root: Path, dest: Path) -> None:
    paths.check_tree(root, root)
    shutil.copytree(root, dest, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    # Re-point every symlink relative to the copy, so none reaches back into the original.
    for dirpath, dirnames, filenames in os.walk(dest):
        for name in [*dirnames, *filenames]:
            link = Path(dirpath) / name
            if link.is_symlink():
                target = (root / link.relative_to(dest)).resolve()
                link.unlink()
                link.symlink_to(os.path.relpath(dest / target.relative_to(root), link.parent))


async def render_kustomize(
    source: Mapping[str, Any],
    app_dir: Path,
    root: Path,
    *,
    tools: Tools,
    limits: Limits,
    runner: Runner,
) -> list[Manifest]:
    """Render a Kustomize source; see the module contract."""
    spec: Mapping[str, Any] = source.get("kustomize") or {}
    with tempfile.TemporaryDirectory(prefix="kapstan-kustomize-") as tmp_name:
        work = Path(tmp_name) / "repo"
        _copy_repo(root, work)
        work_app = work / app_dir.relative_to(root)
        if spec:
            kfile = find_kustomization(work_app)
            if kfile is None:
                raise RenderError("no kustomization file", file=paths.relative(app_dir, root))
            name = paths.relative(app_dir / kfile.name, root)
            loaded = yamlio.load_values(kfile.read_text(), name=name, limits=limits)
            if not isinstance(loaded, dict):
                raise RenderError("kustomization is not a mapping", file=name)
            try:
                edited = apply_overrides(loaded, spec)
            except RenderError as e:
                raise RenderError(e.reason, file=name) from None
            kfile.write_text(yaml.safe_dump(edited, sort_keys=False))
        argv = [tools.kustomize, "build", str(work_app)]
        env = {"HOME": tmp_name}
        stdout = await run_tool(
            runner, argv, tool="kustomize build", limits=limits, env=env, cwd=work
        )
    docs = yamlio.load_manifests(stdout, name="kustomize build", limits=yamlio.tool_limits(limits))
    return [Manifest(obj=obj, source="kustomize") for _line, obj in docs]
