"""The validation a fake can do without OpenAPI schemas.

Contract:

- :func:`validate` checks what every API server checks on every kind: the name (an RFC 1123
  subdomain; a label for Namespaces and Services), label keys and values, string annotation
  values, string ``data`` of ConfigMaps and Secrets, and a CRD's name (``<plural>.<group>``).
  Failures raise 422 ``Invalid`` with one cause per field, worded like apimachinery.
- :func:`unknown_fields` finds fields a built-in kind does not have, at the top level and in
  ``metadata`` only (deeper fields are not known to the fake). :func:`check_fields` applies
  the request's ``fieldValidation``: ``Strict`` → 400 ``strict decoding error`` (an apply:
  500 ``field not declared in schema``, as kube-apiserver's typed patch answers), ``Warn``
  (the default) and ``Ignore`` drop the fields, ``Warn`` with a ``Warning`` header text.
"""

from __future__ import annotations

import re
from typing import Any

from kapstan.testing.fakekube.kinds import Kind
from kapstan.testing.fakekube.status import ApiError, bad_request, invalid

OBJECT_META = frozenset(
    {
        "name",
        "generateName",
        "namespace",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
    }
)
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_QUALIFIED = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character"
)
_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character"
)


def _quote(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _name_causes(kind: Kind, name: str) -> list[tuple[str, str]]:
    label = (kind.group, kind.kind) in (("", "Namespace"), ("", "Service"))
    pattern, limit, msg = (_LABEL, 63, _LABEL_MSG) if label else (_SUBDOMAIN, 253, _SUBDOMAIN_MSG)
    if len(name) > limit:
        return [
            (
                "metadata.name",
                f"Invalid value: {_quote(name)}: must be no more than {limit} characters",
            )
        ]
    if not pattern.match(name):
        return [("metadata.name", f"Invalid value: {_quote(name)}: {msg}")]
    return []


def _key_ok(key: str) -> bool:
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not _SUBDOMAIN.match(prefix)):
        return False
    return 0 < len(name) <= 63 and bool(_QUALIFIED.match(name))


def _map_causes(meta: dict[str, Any], field: str, values: bool) -> list[tuple[str, str]]:
    raw = meta.get(field)
    if raw is None:
        return []
    where = f"metadata.{field}"
    if not isinstance(raw, dict):
        return [(where, f"Invalid value: {_quote(raw)}: must be a map of strings")]
    causes = []
    for k, v in raw.items():
        if not _key_ok(str(k)):
            why = "name part must consist of alphanumeric characters, '-', '_' or '.'"
            causes.append((where, f"Invalid value: {_quote(k)}: {why}"))
        if not isinstance(v, str):
            causes.append((f"{where}.{k}", f"Invalid value: {_quote(v)}: must be a string"))
        elif values and (len(v) > 63 or not _LABEL_VALUE.match(v)):
            why = "a valid label must be an empty string or consist of alphanumeric characters"
            causes.append((where, f"Invalid value: {_quote(v)}: {why}, '-', '_' or '.'"))
    return causes


def validate(kind: Kind, obj: dict[str, Any]) -> None:
    """Raise 422 when ``obj`` breaks a rule every API server enforces."""
    meta = obj.get("metadata") or {}
    name = str(meta.get("name") or "")
    causes = _name_causes(kind, name)
    causes += _map_causes(meta, "labels", values=True)
    causes += _map_causes(meta, "annotations", values=False)
    if kind.group == "" and kind.kind in ("ConfigMap", "Secret"):
        for field in ("data", "stringData"):
            data = obj.get(field)
            if data is None:
                continue
            bad = data.items() if isinstance(data, dict) else [("", data)]
            for k, v in bad:
                if not isinstance(v, str):
                    causes.append(
                        (f"{field}[{k}]", f"Invalid value: {_quote(v)}: must be a string")
                    )
    if kind.kind == "CustomResourceDefinition" and not kind.custom:
        spec = obj.get("spec") or {}
        expected = f"{(spec.get('names') or {}).get('plural')}.{spec.get('group')}"
        if name != expected:
            why = 'must be spec.names.plural+"."+spec.group'
            causes.append(("metadata.name", f'Invalid value: "{name}": {why}'))
    if causes:
        raise invalid(kind, name, causes)


def unknown_fields(kind: Kind, obj: dict[str, Any]) -> list[str]:
    """Dotted names of fields ``kind`` does not have (top level and ``metadata`` only)."""
    out: list[str] = []
    if kind.fields is not None:
        known = kind.fields | {"apiVersion", "kind", "metadata"}
        out += [k for k in obj if k not in known]
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        out += [f"metadata.{k}" for k in meta if k not in OBJECT_META]
    return out


def check_fields(kind: Kind, obj: dict[str, Any], mode: str, *, apply: bool) -> list[str]:
    """Enforce ``fieldValidation`` ``mode`` on ``obj`` (unknown fields are removed in place);
    returns warning texts."""
    found = unknown_fields(kind, obj)
    if not found or mode == "Ignore":
        _drop(obj, found)
        return []
    if mode == "Strict":
        if apply:
            gvk = f"{kind.api_version()}, Kind={kind.kind}"
            raise ApiError(
                500,
                f"failed to create typed patch object ({gvk}): .{found[0]}: "
                "field not declared in schema",
            )
        listed = ", ".join(f'unknown field "{f}"' for f in found)
        raise bad_request(f"strict decoding error: {listed}")
    _drop(obj, found)
    return [f'unknown field "{f}"' for f in found]


def _drop(obj: dict[str, Any], found: list[str]) -> None:
    for f in found:
        if f.startswith("metadata."):
            obj["metadata"].pop(f.removeprefix("metadata."), None)
        else:
            obj.pop(f, None)


def check_mode(mode: str) -> str:
    if mode not in ("", "Strict", "Warn", "Ignore"):
        raise bad_request(f'fieldValidation: Unsupported value: "{mode}"')
    return mode
