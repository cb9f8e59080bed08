"""``labelSelector`` and ``fieldSelector`` parsing, as the API server accepts them.

Contract: :func:`label_selector` understands the full set-based syntax (``a=b``, ``a==b``,
``a!=b``, ``a in (x,y)``, ``a notin (x)``, ``a``, ``!a``; requirements are ANDed);
:func:`field_selector` understands ``=``, ``==`` and ``!=`` on ``metadata.name`` and
``metadata.namespace`` for every kind, plus the few kind-specific fields listed in
:data:`FIELDS`. A malformed selector, or an unsupported field, is a 400 as on a real server.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from kapstan.model.labels import SelectorError, label_matcher, split_requirements
from kapstan.testing.fakekube.kinds import Kind
from kapstan.testing.fakekube.status import bad_request

Predicate = Callable[[Mapping[str, Any]], bool]

# (group, kind) -> extra selectable fields (the common ones of kube-apiserver).
FIELDS: dict[tuple[str, str], frozenset[str]] = {
    ("", "Pod"): frozenset(
        {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
         "status.phase", "status.podIP", "status.nominatedNodeName"}
    ),
    ("", "Secret"): frozenset({"type"}),
    ("", "Namespace"): frozenset({"status.phase"}),
    ("", "Node"): frozenset({"spec.unschedulable"}),
    ("", "Event"): frozenset(
        {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
         "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
         "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"}
    ),
    ("batch", "Job"): frozenset({"status.successful"}),
}  # fmt: skip


def label_selector(text: str) -> Predicate:
    """A predicate over objects for a ``labelSelector`` string (empty: everything)."""
    try:
        matches = label_matcher(text or "")
    except SelectorError as err:
        raise bad_request(str(err)) from None

    def match(obj: Mapping[str, Any]) -> bool:
        return matches((obj.get("metadata") or {}).get("labels") or {})

    return match


def _value(obj: Mapping[str, Any], dotted: str) -> str:
    node: Any = obj
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, Mapping) else None
    if isinstance(node, bool):
        return "true" if node else "false"
    return "" if node is None else str(node)


def field_selector(text: str, kind: Kind) -> Predicate:
    """A predicate over objects for a ``fieldSelector`` string (empty: everything)."""
    allowed = {"metadata.name", "metadata.namespace"} | FIELDS.get((kind.group, kind.kind), set())
    terms: list[tuple[str, bool, str]] = []
    for part in split_requirements(text or ""):
        m = re.match(r"^([A-Za-z0-9._-]+)\s*(==|!=|=)\s*(.*)$", part)
        if m is None:
            raise bad_request(f"invalid selector: {part!r}; can't understand {part!r}")
        name, op, value = m.groups()
        if name not in allowed:
            raise bad_request(f"field label not supported: {name}")
        terms.append((name, op == "!=", value.strip()))

    def match(obj: Mapping[str, Any]) -> bool:
        return all((_value(obj, name) == value) != negate for name, negate, value in terms)

    return match


def selector(params: Mapping[str, str], kind: Kind) -> Predicate:
    """Both selectors of a request's query, ANDed."""
    labels = label_selector(params.get("labelSelector", ""))
    fields = field_selector(params.get("fieldSelector", ""), kind)
    return lambda obj: labels(obj) and fields(obj)
