"""ignoreDifferences: app-level and system-level rules that hide fields from the diff.

Mirrors Argo CD ``util/argo/normalizers`` (``NewIgnoreNormalizer``): a rule matches by
group/kind (glob, so ``"*"`` matches anything; an empty group is the core group) and
optionally an exact name/namespace. Matched paths are deleted from *both* sides before
comparison, so neither their presence nor their value can make a resource OutOfSync.

* ``jsonPointers``: RFC 6901 paths; pointers that do not resolve are skipped.
* ``jqPathExpressions``: evaluated as ``del(<expr>)``, as Argo CD does; compiled once per
  expression. Runtime errors skip the expression (Argo CD logs and continues). Argo CD's
  ``ignore.normalizer.jq.timeout`` is not enforced: libjq offers no cancellation.
* ``managedFieldsManagers``: fields that the listed managers own in the live object's
  ``metadata.managedFields`` (fieldsV1) are dropped. Argo CD copies them from live into
  config instead; either way the field can no longer differ.
"""

from __future__ import annotations

import fnmatch
import functools
import importlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from kapstan.engine.jsonpatch import JsonPointerError, parse_pointer, remove_pointer
from kapstan.model.keys import ResourceKey

# libjq bindings (PyPI ``jq``) ship as a bare extension module without type stubs; the
# dynamic import keeps mypy strict without a per-module override in pyproject.toml.
_jq: Any = importlib.import_module("jq")

SYSTEM_KEY_PREFIX = "resource.customizations.ignoreDifferences."
COMBINED_KEY = "resource.customizations"


class IgnoreConfigError(ValueError):
    """An ignore rule cannot be used (bad YAML, bad JSON pointer, jq syntax error)."""


@dataclass(frozen=True)
class IgnoreRule:
    """One ``ResourceIgnoreDifferences`` entry (``spec.ignoreDifferences[]``)."""

    group: str = ""
    kind: str = ""
    name: str = ""
    namespace: str = ""
    json_pointers: tuple[str, ...] = ()
    jq_path_expressions: tuple[str, ...] = ()
    managed_fields_managers: tuple[str, ...] = ()

    @classmethod
    def from_spec(
        cls, spec: Mapping[str, Any], *, group: str | None = None, kind: str | None = None
    ) -> IgnoreRule:
        """Build from the CRD field names; ``group``/``kind`` override the spec's."""
        rule = cls(
            group=str(spec.get("group") or "") if group is None else group,
            kind=str(spec.get("kind") or "") if kind is None else kind,
            name=str(spec.get("name") or ""),
            namespace=str(spec.get("namespace") or ""),
            json_pointers=tuple(str(p) for p in spec.get("jsonPointers") or ()),
            jq_path_expressions=tuple(str(e) for e in spec.get("jqPathExpressions") or ()),
            managed_fields_managers=tuple(str(m) for m in spec.get("managedFieldsManagers") or ()),
        )
        rule.validate()
        return rule

    def validate(self) -> None:
        """Raise :class:`IgnoreConfigError` for unusable pointers or jq expressions."""
        for pointer in self.json_pointers:
            try:
                parse_pointer(pointer)
            except JsonPointerError as exc:
                raise IgnoreConfigError(str(exc)) from None
        for expr in self.jq_path_expressions:
            compile_jq_deletion(expr)

    def matches(self, key: ResourceKey) -> bool:
        """Group/kind glob match plus exact name/namespace when they are set."""
        return (
            fnmatch.fnmatchcase(key.group, self.group)
            and fnmatch.fnmatchcase(key.kind, self.kind)
            and (not self.name or self.name == key.name)
            and (not self.namespace or self.namespace == key.namespace)
        )


@functools.lru_cache(maxsize=1024)
def compile_jq_deletion(expr: str) -> Any:
    """Compile ``del(<expr>)`` once; raise :class:`IgnoreConfigError` on syntax errors."""
    try:
        return _jq.compile(f"del({expr})")
    except ValueError as exc:
        # Compile errors only quote the expression itself, never object values.
        raise IgnoreConfigError(f"invalid jqPathExpression {expr!r}: {exc}") from None


def app_rules(specs: Iterable[Mapping[str, Any]]) -> tuple[IgnoreRule, ...]:
    """Rules from an Application's ``spec.ignoreDifferences``."""
    return tuple(IgnoreRule.from_spec(spec) for spec in specs)


def _parse_override(value: Any, where: str) -> Mapping[str, Any]:
    if isinstance(value, str):
        try:
            value = yaml.safe_load(value)
        except yaml.YAMLError:
            raise IgnoreConfigError(f"{where}: invalid YAML") from None
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise IgnoreConfigError(f"{where}: expected a mapping")
    return value


def _split_group_kind(text: str, sep: str) -> tuple[str, str]:
    # argocd-cm keys use "<group>_<kind>"; a bare "<kind>" is the core group.
    group, found, kind = text.rpartition(sep)
    return (group, kind) if found else ("", text)


def system_rules(config: Mapping[str, Any]) -> tuple[IgnoreRule, ...]:
    """Rules from argocd-cm data.

    Reads ``resource.customizations.ignoreDifferences.<group>_<kind>``,
    ``resource.customizations.ignoreDifferences.all`` (every resource) and the combined
    ``resource.customizations`` YAML keyed by ``<group>/<Kind>`` with an
    ``ignoreDifferences`` string.
    """
    rules: list[IgnoreRule] = []
    for cm_key in sorted(config):
        if cm_key.startswith(SYSTEM_KEY_PREFIX):
            suffix = cm_key[len(SYSTEM_KEY_PREFIX) :]
            group, kind = ("*", "*") if suffix == "all" else _split_group_kind(suffix, "_")
            spec = _parse_override(config[cm_key], cm_key)
            rules.append(IgnoreRule.from_spec(spec, group=group, kind=kind))
    if COMBINED_KEY in config:
        combined = _parse_override(config[COMBINED_KEY], COMBINED_KEY)
        for group_kind in sorted(combined):
            entry = combined[group_kind]
            if not isinstance(entry, Mapping) or "ignoreDifferences" not in entry:
                continue
            group, kind = _split_group_kind(str(group_kind), "/")
            spec = _parse_override(entry["ignoreDifferences"], f"{COMBINED_KEY}[{group_kind}]")
            rules.append(IgnoreRule.from_spec(spec, group=group, kind=kind))
    return tuple(rules)


def owned_fields(
    managed_fields: Sequence[Mapping[str, Any]] | None, managers: Iterable[str]
) -> list[Mapping[str, Any]]:
    """fieldsV1 trees of the managedFields entries written by ``managers``."""
    wanted = set(managers)
    return [
        entry["fieldsV1"]
        for entry in managed_fields or ()
        if entry.get("manager") in wanted and isinstance(entry.get("fieldsV1"), Mapping)
    ]


def list_item_matches(item: Any, selector: str) -> bool:
    """Whether a list item matches a fieldsV1 ``k:<json>`` key or ``v:<json>`` value."""
    prefix, value = selector[:2], selector[2:]
    try:
        wanted = json.loads(value)
    except ValueError:
        return False
    if prefix == "k:":
        return (
            isinstance(item, Mapping)
            and isinstance(wanted, Mapping)
            and all(item.get(k) == v for k, v in wanted.items())
        )
    return bool(prefix == "v:" and item == wanted)


def _apply_leaf(container: Any, index: Any, sub: Mapping[str, Any]) -> None:
    # A node listing no children other than "." is owned as a whole: delete it.
    if not sub or set(sub) == {"."}:
        del container[index]
    else:
        remove_owned(container[index], sub)


def remove_owned(obj: Any, fields: Mapping[str, Any]) -> None:
    """Delete, in place, the leaves of a fieldsV1 tree from ``obj``.

    ``f:<name>`` is a map field, ``k:<json>`` a keyed list item, ``v:<json>`` a set
    item, ``i:<n>`` an index; ``.`` marks the node itself and is not deleted (other
    managers may own its children).
    """
    for part, sub in fields.items():
        prefix, rest = part[:2], part[2:]
        if prefix == "f:" and isinstance(obj, dict) and rest in obj:
            _apply_leaf(obj, rest, sub)
        elif prefix in ("k:", "v:") and isinstance(obj, list):
            for idx in range(len(obj) - 1, -1, -1):
                if list_item_matches(obj[idx], part):
                    _apply_leaf(obj, idx, sub)
        elif prefix == "i:" and isinstance(obj, list) and rest.isdigit() and int(rest) < len(obj):
            _apply_leaf(obj, int(rest), sub)


@dataclass(frozen=True)
class IgnoreResult:
    """An object with ignored paths removed, plus non-fatal warnings (value-free)."""

    obj: dict[str, Any]
    warnings: tuple[str, ...] = ()


def apply_rules(
    obj: dict[str, Any],
    key: ResourceKey,
    rules: Iterable[IgnoreRule],
    managed_fields: Sequence[Mapping[str, Any]] | None,
) -> IgnoreResult:
    """Remove every path that a rule matching ``key`` ignores; ``obj`` is consumed.

    ``managed_fields`` must come from the *raw* live object (normalization strips it).
    """
    warnings: list[str] = []
    for rule in rules:
        if not rule.matches(key):
            continue
        for pointer in rule.json_pointers:
            remove_pointer(obj, pointer)
        for expr in rule.jq_path_expressions:
            try:
                result = compile_jq_deletion(expr).input_value(obj).first()
            except ValueError:
                # jq runtime messages quote values (possibly Secret data): drop them.
                warnings.append(f"jqPathExpression {expr!r} could not be applied to {key}")
                continue
            if isinstance(result, dict):
                obj = result
        for fields in owned_fields(managed_fields, rule.managed_fields_managers):
            remove_owned(obj, fields)
    return IgnoreResult(obj=obj, warnings=tuple(warnings))
