"""User-defined resource actions from ``argocd-cm`` (pure: no I/O).

Both of Argo CD's forms are read: ``resource.customizations.actions.<group_Kind>`` (or
``.<Kind>`` for the core group) and the ``actions`` entry of a ``group/Kind`` key of the
combined ``resource.customizations`` YAML; the per-key form wins. Each value is YAML:

.. code-block:: yaml

    mergeBuiltinActions: true     # keep the built-in actions (custom ones take precedence)
    discovery.lua: |              # returns a table: action name -> {disabled, iconClass, ...}
      ...
    definitions:
    - name: suspend
      action.lua: |               # returns the changed obj, or a list of {operation, resource}
        ...

A value is parsed when its kind is asked for (:meth:`ActionsConfig.for_kind`), so one bad
entry fails only that kind's actions, with :class:`~kapstan.engine.actions.model.ActionError`.
Keys are matched exactly (Argo CD applies no wildcards to actions).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import yaml

from kapstan.engine.actions.model import ActionError
from kapstan.engine.health.config import HealthConfigError, key_from_suffix, override_key
from kapstan.engine.luavm import DEFAULT_INSTRUCTION_LIMIT

CUSTOMIZATIONS = "resource.customizations"
ACTIONS_PREFIX = f"{CUSTOMIZATIONS}.actions."
MAX_SCRIPT = 256 * 1024  # bytes of one discovery or action script


@dataclass(frozen=True)
class CustomActions:
    """The actions of one ``group/Kind``."""

    key: str
    discovery: str = ""
    definitions: Mapping[str, str] = field(default_factory=dict)  # action name -> action.lua
    merge_builtin: bool = False


def _parse(key: str, raw: str) -> CustomActions:
    try:
        doc = yaml.safe_load(raw) or {}
    except yaml.YAMLError:
        raise ActionError(f"invalid actions customization for {key}: not YAML") from None
    if not isinstance(doc, Mapping):
        raise ActionError(f"invalid actions customization for {key}: expected a mapping")
    discovery = doc.get("discovery.lua") or ""
    definitions: dict[str, str] = {}
    for item in doc.get("definitions") or []:
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            raise ActionError(f"invalid actions customization for {key}: a definition has no name")
        definitions.setdefault(item["name"], str(item.get("action.lua") or ""))
    scripts = [str(discovery), *definitions.values()]
    if any(len(s.encode()) > MAX_SCRIPT for s in scripts):
        raise ActionError(f"invalid actions customization for {key}: a script is too large")
    merge = doc.get("mergeBuiltinActions")
    return CustomActions(
        key, str(discovery), definitions, merge is True or str(merge).lower() == "true"
    )


@dataclass(frozen=True)
class ActionsConfig:
    """The raw actions customizations of argocd-cm, by override key (``group/Kind``)."""

    raw: Mapping[str, str] = field(default_factory=dict)
    instruction_limit: int = DEFAULT_INSTRUCTION_LIMIT

    @classmethod
    def from_argocd_cm(cls, data: Mapping[str, str]) -> ActionsConfig:
        """Collect both forms (see the module docstring); a malformed key suffix or combined
        YAML is skipped, as it would fail every kind."""
        raw: dict[str, str] = {}
        combined = data.get(CUSTOMIZATIONS)
        if combined:
            try:
                parsed = yaml.safe_load(combined) or {}
            except yaml.YAMLError:
                parsed = {}
            if isinstance(parsed, Mapping):
                for key, override in parsed.items():
                    if isinstance(override, Mapping) and isinstance(override.get("actions"), str):
                        raw[str(key)] = override["actions"]
        for name, value in data.items():
            if name.startswith(ACTIONS_PREFIX) and value.strip():
                try:
                    raw[key_from_suffix(name.removeprefix(ACTIONS_PREFIX))] = value
                except HealthConfigError:
                    continue
        return cls(raw)

    def for_kind(self, group: str, kind: str) -> CustomActions | None:
        """The custom actions of ``group``/``kind`` (raises ActionError when malformed)."""
        key = override_key(group, kind)
        found = self.raw.get(key)
        return _parse(key, found) if found is not None else None


__all__ = ["ACTIONS_PREFIX", "ActionsConfig", "CustomActions"]
