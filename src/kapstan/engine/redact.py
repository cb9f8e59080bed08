"""Masking of Secret values before anything is rendered (diff text, patch, errors).

Mirrors gitops-engine ``diff.HideSecretData``: every value under ``data`` (and
``stringData``, in case it survived) of a ``v1/Secret`` is replaced by a run of ``+``.
Masks are assigned across *all* objects of one comparison together, so a value equal
on both sides gets the same mask (no spurious change) and differing values get
different masks (the change stays visible). Unlike Argo CD, which numbers masks per
key, the mapping here spans keys too, so no two distinct values ever share a mask.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterable, Mapping
from typing import Any

from kapstan.model.vocabulary import LAST_APPLIED

MASK_BASE_LENGTH = 8
SECRET_VALUE_FIELDS = ("data", "stringData")


def is_secret(obj: Mapping[str, Any] | None) -> bool:
    """True for core ``v1`` Secrets (the only kind whose values are masked)."""
    return obj is not None and obj.get("kind") == "Secret" and obj.get("apiVersion") == "v1"


def mask_secrets(*objs: Mapping[str, Any] | None) -> tuple[dict[str, Any] | None, ...]:
    """Return deep copies of ``objs`` with Secret values masked consistently.

    Non-Secret objects and ``None`` pass through (copied). The mask for the n-th distinct
    value (in order of first appearance, keys sorted) is ``"+" * (8 + n)``.
    """
    masks: dict[str, str] = {}
    out: list[dict[str, Any] | None] = []
    for obj in objs:
        if obj is None:
            out.append(None)
            continue
        copied = copy.deepcopy(dict(obj))
        if is_secret(copied):
            for field in SECRET_VALUE_FIELDS:
                values = copied.get(field)
                if not isinstance(values, dict):
                    continue
                for key in sorted(values):
                    raw = "" if values[key] is None else str(values[key])
                    if raw not in masks:
                        masks[raw] = "+" * (MASK_BASE_LENGTH + len(masks))
                    values[key] = masks[raw]
        out.append(copied)
    return tuple(out)


# argocd-cm: comma-separated annotation keys whose values are masked in Secrets too.
SENSITIVE_ANNOTATIONS_KEY = "resource.sensitive.mask.annotations"
_FIRST_MASK = "+" * MASK_BASE_LENGTH


def sensitive_annotations(argocd_cm: Mapping[str, str]) -> frozenset[str]:
    """The annotation keys ``resource.sensitive.mask.annotations`` names."""
    raw = str(argocd_cm.get(SENSITIVE_ANNOTATIONS_KEY) or "")
    return frozenset(k.strip() for k in raw.split(",") if k.strip())


def _normalized_secret(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A copy with ``stringData`` folded into ``data`` (base64), as gitops-engine's
    ``NormalizeSecret`` does before masking; ``null`` values become ``""``."""
    out = copy.deepcopy(dict(obj))
    string_data = out.pop("stringData", None)
    data = out.get("data")
    data = dict(data) if isinstance(data, Mapping) else {}
    if isinstance(string_data, Mapping):
        for key, value in string_data.items():
            data[key] = (
                base64.b64encode(str(value).encode()).decode() if isinstance(value, str) else value
            )
    if data or "data" in out or string_data is not None:
        out["data"] = {k: "" if v is None else v for k, v in data.items()}
    return out


def _mask_field(objs: list[dict[str, Any]], keys: Iterable[str], get: Any) -> None:
    """Per key, the n-th distinct value among ``objs`` becomes ``"+" * (8 + n)``."""
    for key in keys:
        masks: dict[str, str] = {}
        for obj in objs:
            values = get(obj)
            if not isinstance(values, dict) or key not in values:
                continue
            raw = "" if values[key] is None else str(values[key])
            if raw not in masks:
                masks[raw] = _FIRST_MASK + "+" * len(masks)
            values[key] = masks[raw]


def _annotations(obj: dict[str, Any]) -> Any:
    meta = obj.get("metadata")
    return meta.get("annotations") if isinstance(meta, dict) else None


def hide_secret_data(
    target: Mapping[str, Any] | None,
    live: Mapping[str, Any] | None,
    hidden_annotations: Iterable[str] = (),
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """gitops-engine's ``HideSecretData`` for a desired and/or a live Secret (the API's
    single-object views: a live resource, rendered manifests).

    Each ``data`` value (``stringData`` folded in) and each value of a ``hidden_annotations``
    annotation is replaced by ``++++++++``, a second distinct value of the same key by nine
    ``+`` and so on, counted over the target, the live object and the live object's
    ``last-applied-configuration``; that annotation is replaced by the masked copy of what it
    held (or by a mask when it is not a JSON object: it must never leak). Objects that are
    not ``v1`` Secrets come back as copies, unchanged.
    """
    out = [
        copy.deepcopy(dict(o)) if o is not None and not is_secret(o) else None
        for o in (target, live)
    ]
    if (target is None or not is_secret(target)) and (live is None or not is_secret(live)):
        return out[0], out[1]
    new_target = _normalized_secret(target) if target is not None and is_secret(target) else None
    new_live = _normalized_secret(live) if live is not None and is_secret(live) else None
    orig: dict[str, Any] | None = None
    raw_last = (_annotations(new_live) or {}).get(LAST_APPLIED) if new_live is not None else None
    if isinstance(raw_last, str):
        try:
            parsed = json.loads(raw_last)
        except ValueError:
            parsed = None
        orig = _normalized_secret(parsed) if isinstance(parsed, dict) else None
    objs = [o for o in (new_target, new_live, orig) if o is not None]
    keys = sorted({k for o in objs for k in (o.get("data") or {})})
    _mask_field(objs, keys, lambda o: o.get("data"))
    _mask_field(objs, sorted(hidden_annotations), _annotations)
    if new_live is not None and raw_last is not None:
        masked_last = (
            json.dumps(orig, sort_keys=True, separators=(",", ":"))
            if orig is not None
            else _FIRST_MASK
        )
        new_live["metadata"]["annotations"][LAST_APPLIED] = masked_last
    return (
        new_target if new_target is not None else out[0],
        new_live if new_live is not None else out[1],
    )
