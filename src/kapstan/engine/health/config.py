"""Health configuration parsed from an argocd-cm style mapping (pure: no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase

import yaml

from kapstan.engine.luavm import DEFAULT_INSTRUCTION_LIMIT

_PREFIX = "resource.customizations"
_HEALTH_PREFIX = f"{_PREFIX}.health."
_OPEN_LIBS_PREFIX = f"{_PREFIX}.useOpenLibs."


class HealthConfigError(ValueError):
    """argocd-cm health settings that cannot be parsed."""


@dataclass(frozen=True, slots=True)
class CustomHealthCheck:
    """A Lua health script for the override key ``group/Kind`` (core kinds: ``Kind``).

    The key may hold glob wildcards (``*.example.com/*``) as Argo CD allows.
    """

    key: str
    script: str
    use_open_libs: bool = False

    @property
    def is_wildcard(self) -> bool:
        return any(ch in self.key for ch in "*?[")


def override_key(group: str, kind: str) -> str:
    """Argo CD's ``GetConfigMapKey``: ``group/Kind``, or just ``Kind`` for the core group."""
    return f"{group}/{kind}" if group else kind


def key_from_suffix(suffix: str) -> str:
    """The override key of an argocd-cm key suffix (Argo CD's ``convertToOverrideKey``):
    ``<group>_<Kind>`` is ``<group>/<Kind>``, ``<Kind>`` stays; anything else raises
    :class:`HealthConfigError` with Argo CD's message."""
    parts = suffix.split("_")
    if len(parts) == 2:
        return f"{parts[0]}/{parts[1]}"
    if len(parts) == 1 and suffix:
        return suffix
    raise HealthConfigError(
        "group kind should be in format `resource.customizations.<type>.<group_kind>` or"
        f" `resource.customizations.<type>.<kind>`, got group kind: '{suffix}'"
    )


def _truthy(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _parse_yaml_map(raw: str) -> dict[str, tuple[str, bool]]:
    try:
        parsed = yaml.safe_load(raw) or {}
    except yaml.YAMLError as err:
        raise HealthConfigError(f"invalid {_PREFIX}: {err}") from err
    if not isinstance(parsed, Mapping):
        raise HealthConfigError(f"invalid {_PREFIX}: expected a mapping of group/Kind keys")
    out: dict[str, tuple[str, bool]] = {}
    for key, override in parsed.items():
        if isinstance(override, Mapping) and isinstance(override.get("health.lua"), str):
            out[str(key)] = (
                override["health.lua"],
                _truthy(override.get("health.lua.useOpenLibs")),
            )
    return out


@dataclass(frozen=True, slots=True)
class HealthConfig:
    """Everything :func:`kapstan.engine.health.assess` needs beyond the object itself."""

    custom_checks: tuple[CustomHealthCheck, ...] = ()
    kstatus_fallback: bool = False
    lua_instruction_limit: int = DEFAULT_INSTRUCTION_LIMIT

    @classmethod
    def from_argocd_cm(
        cls, data: Mapping[str, str], *, kstatus_fallback: bool = False
    ) -> HealthConfig:
        """Read both Argo CD forms; per-key entries win over the ``resource.customizations``
        YAML map, as Argo CD merges them. Raises :class:`HealthConfigError` on bad input."""
        scripts: dict[str, tuple[str, bool]] = {}
        if raw := data.get(_PREFIX):
            scripts.update(_parse_yaml_map(raw))
        open_libs: dict[str, bool] = {}
        for name, value in data.items():
            if name.startswith(_HEALTH_PREFIX):
                key = key_from_suffix(name.removeprefix(_HEALTH_PREFIX))
                scripts[key] = (value, scripts.get(key, ("", False))[1])
            elif name.startswith(_OPEN_LIBS_PREFIX):
                open_libs[key_from_suffix(name.removeprefix(_OPEN_LIBS_PREFIX))] = _truthy(value)
        checks = tuple(
            CustomHealthCheck(key, script, open_libs.get(key, libs))
            for key, (script, libs) in sorted(scripts.items())
            if script.strip()
        )
        return cls(custom_checks=checks, kstatus_fallback=kstatus_fallback)

    def custom_check_for(self, group: str, kind: str) -> CustomHealthCheck | None:
        """The check for ``group``/``kind``: an exact key first, then the first matching
        wildcard in key order (deterministic where Argo CD's map order is not)."""
        key = override_key(group, kind)
        for check in self.custom_checks:
            if not check.is_wildcard and check.key == key:
                return check
        for check in self.custom_checks:
            if check.is_wildcard and fnmatchcase(key, check.key):
                return check
        return None
