"""The global RBAC policy: ``argocd-rbac-cm`` parsed once into an immutable :class:`Policy`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from kapstan.engine.rbac.builtin import BUILTIN_LINKS, BUILTIN_RULES
from kapstan.engine.rbac.lines import ParsedLines, parse_lines
from kapstan.engine.rbac.patterns import compile_pattern
from kapstan.engine.rbac.rules import Link, RBACConfigError, Rule
from kapstan.engine.rbac.vocabulary import (
    DEFAULT_SCOPES,
    GLOB,
    MATCH_MODE_KEY,
    OVERLAY_PREFIX,
    OVERLAY_SUFFIX,
    POLICY_CSV_KEY,
    POLICY_DEFAULT_KEY,
    REGEX,
    SCOPES_KEY,
)

__all__ = ["Policy", "policy_keys"]


def policy_keys(data: Mapping[str, Any]) -> list[str]:
    """The keys whose CSV makes up the user policy, in the order Argo CD concatenates them:
    ``policy.csv`` first, then every other ``policy.<name>.csv`` in byte-wise key order."""
    overlays = sorted(
        k
        for k in data
        if k.startswith(OVERLAY_PREFIX) and k.endswith(OVERLAY_SUFFIX) and k != POLICY_CSV_KEY
    )
    return ([POLICY_CSV_KEY] if POLICY_CSV_KEY in data else []) + overlays


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RBACConfigError(key, f"must be a string, not {type(value).__name__}")
    return value


def _scopes(text: str) -> tuple[str, ...]:
    """``scopes``: a YAML (or JSON) list of claim names; unset, empty or null means
    ``[groups]``, ``[]`` means no group claims at all (as in Argo CD)."""
    if not text.strip():
        return DEFAULT_SCOPES
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise RBACConfigError(SCOPES_KEY, f"not YAML: {err}", text=text) from err
    if value is None:
        return DEFAULT_SCOPES
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RBACConfigError(SCOPES_KEY, "must be a list of claim names", text=text)
    return tuple(value)


def _pattern_warnings(rules: list[Rule], mode: str) -> list[str]:
    """Warn about user patterns that cannot match (glob) or that fail evaluations (regex)."""
    out: list[str] = []
    consequence = "fails every evaluation that reaches it" if mode == REGEX else "never matches"
    for rule in rules:
        fields = {"resource": rule.resource, "action": rule.action, "object": rule.object}
        for name, text in fields.items():
            if not compile_pattern(text, mode).valid:
                out.append(f"{rule.source}: {name} {text!r} is not a valid {mode}: {consequence}")
    return out


@dataclass(frozen=True)
class Policy:
    """The policy Argo CD's API server loads from ``argocd-rbac-cm``.

    ``rules`` and ``links`` hold the built-in policy followed by the user policy, in load
    order. ``default_role`` is ``policy.default`` verbatim (``""``: none); ``match_mode`` is
    ``regex`` or ``glob``; ``scopes`` names the token claims whose values are the user's
    groups. ``warnings`` lists content Argo CD accepts but that cannot do what it seems to
    say (an unknown effect, an unknown match mode, a pattern that never matches).
    """

    rules: tuple[Rule, ...] = BUILTIN_RULES
    links: tuple[Link, ...] = BUILTIN_LINKS
    default_role: str = ""
    match_mode: str = GLOB
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    warnings: tuple[str, ...] = ()

    @classmethod
    def from_configmap(cls, data: Mapping[str, Any] | None) -> Policy:
        """Parse the ``data`` of ``argocd-rbac-cm`` (``None``: the ConfigMap is missing).

        Raises :class:`RBACConfigError` naming the key (and line) Argo CD would refuse; it
        never returns a partly parsed policy.
        """
        if not data:
            return cls()
        parsed = ParsedLines(rules=list(BUILTIN_RULES), links=list(BUILTIN_LINKS))
        for key in policy_keys(data):
            parse_lines(_text(data, key), key, parsed)
        default_role = _text(data, POLICY_DEFAULT_KEY)
        if default_role != default_role.strip():
            parsed.warnings.append(
                f"{POLICY_DEFAULT_KEY}: {default_role!r} has surrounding white space, "
                "which is part of the role name (as in Argo CD)"
            )
        mode = _text(data, MATCH_MODE_KEY)
        if mode not in ("", GLOB, REGEX):
            parsed.warnings.append(f"{MATCH_MODE_KEY}: {mode!r} is not glob or regex; using glob")
        match_mode = REGEX if mode == REGEX else GLOB
        parsed.warnings.extend(_pattern_warnings(parsed.rules[len(BUILTIN_RULES) :], match_mode))
        if match_mode == REGEX:
            parsed.warnings.append(
                f"{MATCH_MODE_KEY}: regex: the built-in role:readonly and role:admin are "
                "written as globs (*, */*) and grant nothing in regex mode (as in Argo CD)"
            )
        return cls(
            rules=tuple(parsed.rules),
            links=tuple(parsed.links),
            default_role=default_role,
            match_mode=match_mode,
            scopes=_scopes(_text(data, SCOPES_KEY)),
            warnings=tuple(parsed.warnings),
        )
