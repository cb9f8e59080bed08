"""From an action's output to what is written: Argo CD's clean-up of script output, the
JSON merge patch from the live object to the changed one, and the status split.

- :func:`clean_returned` undoes what a Lua round trip does to empty maps: an empty table is
  encoded as ``[]``, so wherever the live object held a map and the output holds ``[]``, the
  live map is kept (Argo CD's ``cleanReturnedObj``, recursing into lists);
- :func:`merge_patch` applies an RFC 7386 JSON merge patch (maps merge recursively, ``null``
  removes, anything else replaces, lists whole); the one definition the API, the renderer and
  the fake Kubernetes API use;
- :func:`create_merge_patch` is RFC 7386 in reverse: the smallest merge patch that turns
  ``old`` into ``new`` (removed keys are ``null``; lists are replaced whole);
- :func:`split_status_patch` separates ``status`` from the rest, because an object with a
  status subresource only takes status changes through ``/status``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any


def clean_returned(new: Any, old: Any) -> Any:
    """``new`` with ``[]`` put back to the live map where ``old`` held one (see above)."""
    if isinstance(new, dict) and isinstance(old, Mapping):
        out = dict(new)
        for key, value in new.items():
            if key not in old:
                continue
            before = old[key]
            if isinstance(value, list) and not value and isinstance(before, Mapping):
                out[key] = before
            else:
                out[key] = clean_returned(value, before)
        return out
    if isinstance(new, list) and isinstance(old, list):
        return [clean_returned(v, old[i]) if i < len(old) else v for i, v in enumerate(new)]
    return new


def merge_patch(target: Any, patch: Any) -> Any:
    """``target`` with the RFC 7386 merge patch ``patch`` applied (neither is modified)."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def create_merge_patch(old: Any, new: Any) -> Any:
    """The merge patch from ``old`` to ``new`` (``{}`` when they are equal)."""
    if not isinstance(old, Mapping) or not isinstance(new, Mapping):
        return new
    patch: dict[str, Any] = {}
    for key in old:
        if key not in new:
            patch[key] = None
    for key, value in new.items():
        if key not in old:
            patch[key] = value
        elif old[key] != value:
            if isinstance(value, Mapping) and isinstance(old[key], Mapping):
                patch[key] = create_merge_patch(old[key], value)
            else:
                patch[key] = value
    return patch


def split_status_patch(
    patch: Mapping[str, Any],
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """``(everything but status, status only)``; ``None`` for a part with no change."""
    if "status" not in patch:
        return (dict(patch) if patch else None), None
    rest = {k: v for k, v in patch.items() if k != "status"}
    return (rest or None), {"status": patch["status"]}


__all__ = ["clean_returned", "create_merge_patch", "split_status_patch"]
