"""Project role token records in an AppProject, read and written as Argo CD keeps them.

Argo CD records each project role token twice, in ``spec.roles[].jwtTokens`` and in
``status.jwtTokensByRole[<role>].items`` (entries ``{iat, exp?, id}``), and keeps the two in
sync (``NormalizeJWTTokens``). Contract:

- :func:`find_record` looks a token up the way Kapstan verifies it: the role must exist in
  ``spec.roles``; the record must be in the role's ``jwtTokens`` and, when ``status`` has an
  entry for the role, there too, so deleting the record from either place revokes the token.
  A token with a ``jti`` matches the record with that ``id`` (constant-time comparison); a
  token without one (issued before Argo CD used ids) matches a record by ``iat``, as do
  records without an ``id``. (Argo CD also falls back to ``iat`` for a token whose id is not
  found, which lets a revoked token live on through a sibling issued in the same second;
  Kapstan does not.)
- :func:`with_record` and :func:`without_record` return a changed deep copy with both places
  updated, records newest first (Argo CD's order); the input is never modified.
"""

from __future__ import annotations

import copy
import hmac
from collections.abc import Mapping
from typing import Any

Project = Mapping[str, Any]


def roles(project: Project) -> list[dict[str, Any]]:
    spec = project.get("spec")
    items = spec.get("roles") if isinstance(spec, Mapping) else None
    return [r for r in items or [] if isinstance(r, dict)]


def role(project: Project, name: str) -> dict[str, Any] | None:
    """The ``spec.roles[]`` entry called ``name``."""
    return next((r for r in roles(project) if r.get("name") == name), None)


def _status_items(project: Project, role_name: str) -> list[Any] | None:
    status = project.get("status")
    by_role = status.get("jwtTokensByRole") if isinstance(status, Mapping) else None
    entry = by_role.get(role_name) if isinstance(by_role, Mapping) else None
    if not isinstance(entry, Mapping):
        return None
    return list(entry.get("items") or [])


def _matches(record: Any, token_id: str, issued_at: int) -> bool:
    if not isinstance(record, Mapping):
        return False
    record_id = str(record.get("id") or "")
    if token_id and record_id:
        return hmac.compare_digest(record_id.encode(), token_id.encode())
    return record.get("iat") == issued_at


def find_record(
    project: Project, role_name: str, token_id: str, issued_at: int
) -> Mapping[str, Any] | None:
    """The record of a token of ``role_name`` (see the module contract), else ``None``."""
    spec_role = role(project, role_name)
    if spec_role is None:
        return None
    found = next(
        (r for r in spec_role.get("jwtTokens") or [] if _matches(r, token_id, issued_at)), None
    )
    status_items = _status_items(project, role_name)
    if status_items is not None and not any(_matches(r, token_id, issued_at) for r in status_items):
        return None
    return found


def has_token_id(project: Project, role_name: str, token_id: str) -> bool:
    """Whether ``token_id`` is already used by a token of the role (in either place)."""
    spec_role = role(project, role_name) or {}
    records = list(spec_role.get("jwtTokens") or []) + (_status_items(project, role_name) or [])
    return any(isinstance(r, Mapping) and r.get("id") == token_id for r in records)


def _newest_first(records: list[Any]) -> list[Any]:
    return sorted(records, key=lambda r: -int(r.get("iat") or 0) if isinstance(r, Mapping) else 0)


def with_record(project: Project, role_name: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``project`` with ``record`` added to the role in spec and status."""
    out = copy.deepcopy(dict(project))
    target = role(out, role_name)
    if target is None:
        raise KeyError(role_name)
    target["jwtTokens"] = _newest_first([*(target.get("jwtTokens") or []), dict(record)])
    status = out.setdefault("status", {})
    by_role = status.setdefault("jwtTokensByRole", {})
    items = (by_role.get(role_name) or {}).get("items") or []
    by_role[role_name] = {"items": _newest_first([*items, dict(record)])}
    return out


def without_record(
    project: Project, role_name: str, token_id: str, issued_at: int
) -> tuple[dict[str, Any], bool]:
    """A copy of ``project`` without the token's record in spec and status; whether any went."""
    out = copy.deepcopy(dict(project))
    removed = False
    target = role(out, role_name)
    if target is not None and target.get("jwtTokens"):
        kept = [r for r in target["jwtTokens"] if not _matches(r, token_id, issued_at)]
        removed = len(kept) != len(target["jwtTokens"])
        target["jwtTokens"] = kept
    items = _status_items(out, role_name)
    if items is not None:
        kept = [r for r in items if not _matches(r, token_id, issued_at)]
        removed = removed or len(kept) != len(items)
        out["status"]["jwtTokensByRole"][role_name] = {"items": kept}
    return out, removed


__all__ = ["find_record", "has_token_id", "role", "roles", "with_record", "without_record"]
