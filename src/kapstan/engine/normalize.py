"""Normalization of manifests before comparison.

Mirrors gitops-engine ``diff.Normalize`` and Argo CD's diff normalizer: strip what the
API server owns (status, managedFields, uid, resourceVersion, ...), fold Secret
``stringData`` into ``data`` and canonicalise values that Kubernetes would canonicalise
(resource quantities, empty maps/lists that ``omitempty`` drops). All functions return
new objects and never mutate their input.
"""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from kapstan.model.vocabulary import LAST_APPLIED

# Server-populated metadata (ObjectMeta fields the client never sets). gitops-engine
# drops creationTimestamp; the rest never appear in config, so dropping them from live
# only removes noise.
SERVER_METADATA_FIELDS = (
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
)

# Keys whose empty value carries meaning and must not be dropped: an ``emptyDir: {}``
# volume source, and label selectors where ``{}`` means "select everything".
PRESERVE_EMPTY_KEYS = frozenset({"emptyDir", "podSelector", "namespaceSelector"})

# Maps whose values are resource.Quantity in the core API.
QUANTITY_MAP_KEYS = frozenset({"limits", "requests", "capacity", "allocatable", "hard"})


STATUS_ALL, STATUS_CRD, STATUS_NONE = "all", "crd", "none"


def drops_status(obj: Mapping[str, Any], mode: str) -> bool:
    """argocd-cm ``resource.compareoptions`` ``ignoreResourceStatusField``: ``all`` (the
    default) ignores every object's ``status``, ``crd`` only that of CustomResourceDefinitions,
    ``none`` compares it everywhere (gitops-engine's normalizer)."""
    if mode == STATUS_NONE:
        return False
    return mode != STATUS_CRD or obj.get("kind") == "CustomResourceDefinition"


def strip_server_fields(obj: Mapping[str, Any], status: str = STATUS_ALL) -> dict[str, Any]:
    """Return a copy without server-populated metadata and last-applied, and without
    ``status`` unless the ``status`` mode (:func:`drops_status`) keeps it."""
    out = copy.deepcopy(dict(obj))
    if drops_status(obj, status):
        out.pop("status", None)
    meta = out.get("metadata")
    if isinstance(meta, dict):
        for field in SERVER_METADATA_FIELDS:
            meta.pop(field, None)
        annotations = meta.get("annotations")
        if isinstance(annotations, dict):
            annotations.pop(LAST_APPLIED, None)
    return out


def fold_secret_string_data(obj: dict[str, Any]) -> dict[str, Any]:
    """Fold Secret ``stringData`` into base64 ``data`` (in place; returns ``obj``).

    Same rule as gitops-engine ``NormalizeSecret``: the API server merges stringData
    into data (stringData wins) and never returns stringData; ``null`` values become "".
    """
    if obj.get("kind") != "Secret" or str(obj.get("apiVersion", "")) != "v1":
        return obj
    string_data = obj.pop("stringData", None)
    data = obj.get("data")
    merged: dict[str, Any] = dict(data) if isinstance(data, dict) else {}
    for key, value in merged.items():
        if value is None:
            merged[key] = ""
    if isinstance(string_data, dict):
        for key, value in string_data.items():
            text = "" if value is None else str(value)
            merged[key] = base64.b64encode(text.encode()).decode()
    if merged:
        obj["data"] = merged
    else:
        obj.pop("data", None)
    return obj


_QUANTITY_RE = re.compile(r"^([+-]?[0-9.]+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$")
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_BY_EXP = {exp: suffix for suffix, exp in _DECIMAL.items()}


def canonical_quantity(value: Any) -> Any:
    """Canonicalise a resource quantity the way ``resource.Quantity`` serialises it.

    ``1`` and ``"1"`` become ``"1"``, ``0.5`` becomes ``"500m"``, ``"1024Mi"`` becomes
    ``"1Gi"``. Values that do not parse are returned unchanged (the apiserver would
    reject them anyway, so the diff should show them as written).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return value
    text = str(value)
    match = _QUANTITY_RE.match(text)
    if not match:
        return value
    try:
        number = Decimal(match.group(1))
    except InvalidOperation:
        return value
    suffix = match.group(2) or ""
    if suffix in _BINARY:
        amount = number * (Decimal(2) ** _BINARY[suffix])
        if amount == amount.to_integral_value() and amount != 0:
            integral = int(amount)
            for name, shift in sorted(_BINARY.items(), key=lambda kv: -kv[1]):
                if integral % (1 << shift) == 0:
                    return f"{integral >> shift}{name}"
            return str(integral)
        return _decimal_si(amount)
    if suffix and suffix[0] in "eE":
        return _decimal_si(number * (Decimal(10) ** int(suffix[1:])))
    return _decimal_si(number * (Decimal(10) ** _DECIMAL[suffix]))


def _decimal_si(amount: Decimal) -> str:
    if amount == 0:
        return "0"
    # resource.Quantity prints the largest SI exponent (a multiple of 3) that keeps the
    # mantissa an integer.
    for exp in (18, 15, 12, 9, 6, 3, 0, -3, -6, -9):
        mantissa = amount / (Decimal(10) ** exp)
        if mantissa == mantissa.to_integral_value():
            return f"{int(mantissa)}{_DECIMAL_BY_EXP[exp]}"
    return str(amount)


def canonicalize(value: Any, parent_key: str = "") -> Any:
    """Drop ``None`` and omitempty-style empties; canonicalise quantity maps.

    Kubernetes' typed structs use ``omitempty`` almost everywhere, so ``labels: {}`` and
    a missing ``labels`` read back identically; gitops-engine gets the same effect by
    remarshalling through the typed struct.
    """
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, raw in value.items():
            if parent_key in QUANTITY_MAP_KEYS and not isinstance(raw, (Mapping, list)):
                item = canonical_quantity(raw)
            else:
                item = canonicalize(raw, str(key))
            if item is None:
                continue
            if isinstance(item, (dict, list)) and not item and key not in PRESERVE_EMPTY_KEYS:
                continue
            out[str(key)] = item
        return out
    if isinstance(value, list):
        return [canonicalize(item) for item in value]
    return value


def normalize(obj: Mapping[str, Any], status: str = STATUS_ALL) -> dict[str, Any]:
    """Full normalization used on every side (config, live, last-applied, dry-run)."""
    return fold_secret_string_data(strip_server_fields(obj, status))


def finalize(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Last step before comparison, after ignore rules may have left empty containers."""
    result = canonicalize(obj)
    assert isinstance(result, dict)  # a Mapping in, a dict out
    return result
