"""Masking of Secret values before anything is rendered (diff text, patch, errors).

Mirrors gitops-engine ``diff.HideSecretData``: every value under ``data`` (and
``stringData``, in case it survived) of a ``v1/Secret`` is replaced by a run of ``+``.
Masks are assigned across *all* objects of one comparison together, so a value equal
on both sides gets the same mask (no spurious change) and differing values get
different masks (the change stays visible). Unlike Argo CD, which numbers masks per
key, the mapping here spans keys too, so no two distinct values ever share a mask.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

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
