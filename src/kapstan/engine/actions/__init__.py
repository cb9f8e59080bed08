"""Resource actions (Argo CD's ``ListResourceActions`` / ``RunResourceActionV2``), pure.

Contract:

- :func:`discover` lists the actions of an object: the custom ``discovery.lua`` of its kind
  when argocd-cm has one (:mod:`~kapstan.engine.actions.config`), plus, when there is none or
  it sets ``mergeBuiltinActions``, the built-in ones (:mod:`~kapstan.engine.actions.builtin`)
  whose names it does not already use; a discovery table maps action names to ``{}`` (or any
  list: enabled) or ``{disabled, iconClass, displayName, params}``. Actions come sorted by
  name within each source (Argo CD's order is Go's map order, i.e. none);
- :func:`run` runs action ``name``: the custom definition of that name first, else the
  built-in one; the result is a list of :class:`~kapstan.engine.actions.model.Impacted`
  resources: the changed source object (``patch``; old-style output, cleaned as Argo CD
  does) and/or objects to ``create`` (new-style output ``[{operation, resource}]``);
- both take ``now`` from the caller (the engine reads no clock) and never touch the input;
  any failure is an :class:`~kapstan.engine.actions.model.ActionError`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from kapstan.engine.actions.builtin import BUILTIN
from kapstan.engine.actions.config import ActionsConfig, CustomActions
from kapstan.engine.actions.lua import run_script
from kapstan.engine.actions.model import (
    ActionError,
    ActionParam,
    Impacted,
    Operation,
    Params,
    ResourceAction,
)
from kapstan.engine.actions.patches import clean_returned, create_merge_patch, split_status_patch
from kapstan.model.keys import group_of


def _group_kind(obj: Mapping[str, Any]) -> tuple[str, str]:
    return group_of(str(obj.get("apiVersion") or "")), str(obj.get("kind") or "")


def _text(value: Any, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ActionError(f"error executing Lua discovery script: {what} must be a string")
    return value


def _param(raw: Any) -> ActionParam:
    if not isinstance(raw, Mapping):
        raise ActionError("error executing Lua discovery script: a parameter is not a table")
    return ActionParam(
        name=_text(raw.get("name"), "param name"),
        value=_text(raw.get("value"), "param value"),
        type=_text(raw.get("type"), "param type"),
        default=_text(raw.get("default"), "param default"),
    )


def _offer(name: str, raw: Any) -> ResourceAction:
    if not isinstance(raw, Mapping):  # a list ({} or {paused}): enabled, nothing else
        return ResourceAction(name)
    disabled = raw.get("disabled")
    params = raw.get("params") or []
    if not isinstance(params, list):
        raise ActionError("error executing Lua discovery script: params must be a list")
    return ResourceAction(
        name=name,
        disabled=disabled is True,
        icon_class=_text(raw.get("iconClass"), "iconClass"),
        display_name=_text(raw.get("displayName"), "displayName"),
        params=tuple(_param(p) for p in params),
    )


def _discover_custom(
    custom: CustomActions, obj: Mapping[str, Any], now: datetime, limit: int
) -> list[ResourceAction]:
    if not custom.discovery.strip():
        return []
    found = run_script(custom.discovery, obj, now=now, instruction_limit=limit, what="discovery")
    if not isinstance(found, Mapping):  # [] (an empty table): no actions
        return []
    return [_offer(str(name), found[name]) for name in sorted(found)]


def discover(obj: Mapping[str, Any], config: ActionsConfig, now: datetime) -> list[ResourceAction]:
    """The actions ``obj`` offers (see the module contract)."""
    group, kind = _group_kind(obj)
    custom = config.for_kind(group, kind)
    found = _discover_custom(custom, obj, now, config.instruction_limit) if custom else []
    builtin = BUILTIN.get((group, kind))
    if builtin is not None and (custom is None or custom.merge_builtin):
        taken = {a.name for a in found}
        offered = sorted(builtin.discover(obj), key=lambda a: a.name)
        found.extend(a for a in offered if a.name not in taken)
    return found


def _impacted(output: Any, live: Mapping[str, Any]) -> list[Impacted]:
    if isinstance(output, list):  # new style: [{operation, resource}, ...]
        out = []
        for item in output:
            if not isinstance(item, Mapping) or not isinstance(item.get("resource"), dict):
                raise ActionError("an impacted resource needs an operation and a resource")
            try:
                operation = Operation(str(item.get("operation") or ""))
            except ValueError:
                raise ActionError(
                    f"unsupported operation {item.get('operation')!r}: create or patch"
                ) from None
            obj = item["resource"]
            if operation is Operation.PATCH:
                obj = clean_returned(obj, live)
            out.append(Impacted(operation, obj))
        return out
    if not isinstance(output, dict):
        raise ActionError("Lua output was not a valid json object or array")
    return [Impacted(Operation.PATCH, clean_returned(output, live))]


def run(
    obj: Mapping[str, Any],
    name: str,
    params: Params,
    config: ActionsConfig,
    now: datetime,
) -> list[Impacted]:
    """Run action ``name`` on ``obj`` (see the module contract)."""
    group, kind = _group_kind(obj)
    custom = config.for_kind(group, kind)
    if custom is not None and name in custom.definitions:
        output = run_script(
            custom.definitions[name],
            obj,
            params=params,
            now=now,
            instruction_limit=config.instruction_limit,
        )
        return _impacted(output, obj)
    builtin = BUILTIN.get((group, kind))
    action = builtin.actions.get(name) if builtin is not None else None
    if action is None:
        shown = f"{group}/{kind}" if group else kind
        raise ActionError(f"action {name!r} is not defined for {shown}")
    return action(copy.deepcopy(dict(obj)), params, now)


__all__ = [
    "ActionError",
    "ActionParam",
    "ActionsConfig",
    "Impacted",
    "Operation",
    "ResourceAction",
    "create_merge_patch",
    "discover",
    "run",
    "split_status_patch",
]
