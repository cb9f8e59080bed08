"""Write-back ``argocd``: the Application's own source parameters, as argocd-image-updater
writes them (``argocd app set --kustomize-image`` / ``--helm-set``). Pure functions.

Contract of :func:`argocd_source_patch`: given the app, an image spec and the chosen tag (and
digest for the ``digest`` strategy), returns the merge patch of ``spec.source`` that sets the
image, or ``None`` when the spec already says so. Kustomize apps get an entry in
``spec.source.kustomize.images`` (``[<kustomize.image-name>=]<name>:<tag>`` or
``<name>@<digest>``; an entry for the same image is replaced, others kept in order); Helm apps
get ``spec.source.helm.parameters`` (``helm.image-spec`` as one ``name:tag`` parameter, else
``helm.image-name``/``helm.image-tag``, default ``image.name``/``image.tag``; other parameters
kept). The app's type is ``status.sourceType``, else what ``spec.source`` holds. Apps with
``spec.sources`` or of another type raise :class:`WriteBackError`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from kapstan.services.images.annotations import ImageSpec
from kapstan.services.images.policy import Strategy


class WriteBackError(ValueError):
    """The app cannot take this write-back (multi-source, a Directory app…)."""


def _source_type(app: Mapping[str, Any]) -> str:
    spec = app.get("spec") or {}
    if spec.get("sources"):
        raise WriteBackError(
            "write-back argocd is not supported for multi-source apps (spec.sources) yet"
        )
    kind = str((app.get("status") or {}).get("sourceType") or "")
    source = spec.get("source") or {}
    if not kind:
        kind = "Helm" if source.get("helm") or source.get("chart") else ""
        kind = kind or ("Kustomize" if source.get("kustomize") else "")
    if kind not in ("Kustomize", "Helm"):
        raise WriteBackError(
            f"write-back argocd needs a Kustomize or Helm app; this one is {kind or 'unknown'}"
        )
    return kind


def image_name_of(entry: str) -> str:
    """``name`` of ``name:tag``, ``name@digest`` or ``name:tag@digest`` (keeps registry ports)."""
    name = entry.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    return name[:colon] if colon > slash else name


def kustomize_value(spec: ImageSpec, tag: str, digest: str | None) -> str:
    """The ``spec.source.kustomize.images`` entry for the chosen tag."""
    new = (
        f"{spec.name}@{digest}"
        if spec.policy.strategy is Strategy.DIGEST and digest
        else f"{spec.name}:{tag}"
    )
    return f"{spec.kustomize_name}={new}" if spec.kustomize_name else new


def _kustomize_key(entry: str) -> str:
    old, sep, _ = entry.partition("=")
    return old if sep else image_name_of(entry)


def helm_values(spec: ImageSpec, tag: str, digest: str | None) -> dict[str, str]:
    """Helm parameter name → value for the chosen tag."""
    shown = f"{tag}@{digest}" if spec.policy.strategy is Strategy.DIGEST and digest else tag
    if spec.helm_spec:
        return {spec.helm_spec: f"{spec.name}:{shown}"}
    return {spec.helm_name or "image.name": spec.name, spec.helm_tag or "image.tag": shown}


def argocd_source_patch(
    app: Mapping[str, Any], spec: ImageSpec, tag: str, digest: str | None = None
) -> dict[str, Any] | None:
    """The ``spec.source`` merge patch (see the module contract)."""
    kind = _source_type(app)
    source = copy.deepcopy((app.get("spec") or {}).get("source") or {})
    if kind == "Kustomize":
        images = [str(i) for i in (source.get("kustomize") or {}).get("images") or []]
        value = kustomize_value(spec, tag, digest)
        key = spec.kustomize_name or spec.name
        if value in images:
            return None
        kept = [i for i in images if _kustomize_key(i) != key]
        at = next((n for n, i in enumerate(images) if _kustomize_key(i) == key), len(kept))
        kept.insert(min(at, len(kept)), value)
        return {"kustomize": {"images": kept}}
    params = [dict(p) for p in (source.get("helm") or {}).get("parameters") or []]
    wanted = helm_values(spec, tag, digest)
    current = {str(p.get("name")): str(p.get("value")) for p in params}
    if all(current.get(k) == v for k, v in wanted.items()):
        return None
    for name, value in wanted.items():
        for p in params:
            if p.get("name") == name:
                p["value"] = value
                break
        else:
            params.append({"name": name, "value": value})
    return {"helm": {"parameters": params}}


def running_tag(app: Mapping[str, Any], spec: ImageSpec) -> str | None:
    """The tag (or digest) of ``spec``'s image in ``status.summary.images``, None if unused."""
    images = ((app.get("status") or {}).get("summary") or {}).get("images") or []
    for entry in images:
        text = str(entry)
        if image_name_of(text) != spec.name:
            continue
        if "@" in text:
            return text.split("@", 1)[1]
        rest = text[len(spec.name) :]
        return rest.removeprefix(":") or "latest"
    return None


__all__ = [
    "WriteBackError",
    "argocd_source_patch",
    "helm_values",
    "image_name_of",
    "kustomize_value",
    "running_tag",
]
