"""argocd-image-updater's ``ImageUpdater`` custom resource (v1.x,
``argocd-image-updater.argoproj.io/v1alpha1``), the form its current docs lead with.

Contract:

- :func:`list_updaters` lists the ImageUpdaters of a namespace (none when the CRD is not
  installed; ``kapstan install`` installs it);
- :func:`settings_for` gives the :class:`~kapstan.services.images.annotations.AppImages` an
  ImageUpdater holds for an Application: the app must live in ``spec.namespace`` (default: the
  ImageUpdater's namespace) and match an ``applicationRefs[]`` entry's ``namePattern`` (a glob)
  and ``labelSelectors``; the first matching entry wins. Settings are layered as the CRD
  documents: ``spec.commonUpdateSettings`` < the entry's < the image's; ``writeBackConfig`` of
  the entry over the spec's. ``manifestTargets.helm{name,tag,spec}`` and
  ``manifestTargets.kustomize.name`` say where the image goes. The result is the same as the
  equivalent annotations (:func:`~kapstan.services.images.annotations.read_annotations`), so
  both forms behave alike; errors are :class:`ConfigError` naming the ImageUpdater;
- :func:`app_settings`: an app's annotations win over ImageUpdaters (they are the more specific).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from typing import Any

from kapstan.kube.client import KubeClient
from kapstan.kube.errors import NotFound
from kapstan.services.images.annotations import (
    IMAGE_LIST,
    PREFIX,
    AppImages,
    ConfigError,
    read_annotations,
)
from kapstan.services.projects import selector_matches

GROUP = "argocd-image-updater.argoproj.io"
VERSION = "v1alpha1"


def updaters_path(namespace: str) -> str:
    return f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/imageupdaters"


async def list_updaters(kube: KubeClient, namespace: str) -> list[dict[str, Any]]:
    """The ImageUpdaters of ``namespace`` (``[]`` without the CRD)."""
    try:
        return (await kube.list(updaters_path(namespace))).items
    except NotFound:
        return []


def _settings(layers: Sequence[Mapping[str, Any]], alias: str) -> dict[str, str]:
    merged: dict[str, Any] = {}
    for layer in layers:
        merged.update({k: v for k, v in layer.items() if v not in (None, "", [])})
    out: dict[str, str] = {}
    keys = {
        "updateStrategy": "update-strategy",
        "allowTags": "allow-tags",
        "pullSecret": "pull-secret",
        "ignoreTags": "ignore-tags",
        "platforms": "platforms",
        "forceUpdate": "force-update",
    }
    for field, key in keys.items():
        if field not in merged:
            continue
        value = merged[field]
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        out[f"{PREFIX}{alias}.{key}"] = str(value)
    return out


def _write_back(layers: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    merged: dict[str, Any] = {}
    git: dict[str, Any] = {}
    for layer in layers:
        merged.update({k: v for k, v in layer.items() if v and k != "gitConfig"})
        git.update({k: v for k, v in (layer.get("gitConfig") or {}).items() if v})
    out: dict[str, str] = {}
    if merged.get("method"):
        out[PREFIX + "write-back-method"] = str(merged["method"])
    for field, key in (
        ("repository", "git-repository"),
        ("branch", "git-branch"),
        ("writeBackTarget", "write-back-target"),
    ):
        if git.get(field):
            out[PREFIX + key] = str(git[field])
    return out


def _ref_matches(ref: Mapping[str, Any], app: Mapping[str, Any]) -> bool:
    meta = app.get("metadata") or {}
    pattern = str(ref.get("namePattern") or "*")
    if not fnmatch.fnmatchcase(str(meta.get("name") or ""), pattern):
        return False
    selector = ref.get("labelSelectors") or {}
    return selector_matches(selector, meta.get("labels") or {})


def settings_for(updater: Mapping[str, Any], app: Mapping[str, Any]) -> AppImages | None:
    """What ``updater`` says about ``app`` (see the module contract)."""
    meta = updater.get("metadata") or {}
    where = f"ImageUpdater {meta.get('namespace')}/{meta.get('name')}"
    spec = updater.get("spec") or {}
    target_ns = str(spec.get("namespace") or meta.get("namespace") or "")
    if str((app.get("metadata") or {}).get("namespace") or "") != target_ns:
        return None
    for ref in spec.get("applicationRefs") or []:
        if not isinstance(ref, dict) or not _ref_matches(ref, app):
            continue
        annotations = _write_back(
            [spec.get("writeBackConfig") or {}, ref.get("writeBackConfig") or {}]
        )
        entries: list[str] = []
        for image in ref.get("images") or []:
            alias, name = str(image.get("alias") or ""), str(image.get("imageName") or "")
            if not alias or not name:
                raise ConfigError(f"{where}: every image needs alias and imageName")
            entries.append(f"{alias}={name}")
            layers = [
                spec.get("commonUpdateSettings") or {},
                ref.get("commonUpdateSettings") or {},
                image.get("commonUpdateSettings") or {},
            ]
            annotations.update(_settings(layers, alias))
            targets = image.get("manifestTargets") or {}
            helm, kustomize = targets.get("helm") or {}, targets.get("kustomize") or {}
            for field, key in (
                ("name", "helm.image-name"),
                ("tag", "helm.image-tag"),
                ("spec", "helm.image-spec"),
            ):
                if helm.get(field):
                    annotations[f"{PREFIX}{alias}.{key}"] = str(helm[field])
            if kustomize.get("name"):
                annotations[f"{PREFIX}{alias}.kustomize.image-name"] = str(kustomize["name"])
        if not entries:
            raise ConfigError(
                f"{where}: applicationRefs entry {ref.get('namePattern')!r} has no images"
            )
        annotations[IMAGE_LIST] = ",".join(entries)
        try:
            return read_annotations(annotations)
        except ConfigError as err:
            raise ConfigError(f"{where}: {err}") from None
    return None


def app_settings(
    app: Mapping[str, Any], updaters: Sequence[Mapping[str, Any]]
) -> tuple[AppImages | None, str]:
    """The settings for ``app`` and where they come from (``annotations`` or the
    ImageUpdater's name); (None, "") when nothing configures it. Raises ConfigError."""
    annotations = (app.get("metadata") or {}).get("annotations") or {}
    if IMAGE_LIST in annotations:
        return read_annotations(annotations), "annotations"
    for updater in updaters:
        found = settings_for(updater, app)
        if found is not None:
            return found, f"ImageUpdater {(updater.get('metadata') or {}).get('name')}"
    return None, ""


__all__ = ["GROUP", "VERSION", "app_settings", "list_updaters", "settings_for", "updaters_path"]
