"""Argo CD deep links (argocd-cm ``application.links``, ``resource.links``,
``project.links``), pure.

Contract: :func:`parse_links` reads one key's YAML list of ``{url, title, description,
icon.class, if}`` (an invalid list raises :class:`DeepLinkError`, as Argo CD fails the
request); :func:`evaluate` keeps the links whose ``if`` (:mod:`.expr`) is ``true`` and
renders their ``url`` (:mod:`.template`) with the link objects (``application``/``app``,
``resource``, ``cluster``, ``project``, ``managedByURL``), answering Argo CD's
``LinksResponse`` items ``{title, url, description, iconClass}`` (empty optional fields left
out) and, separately, one message per link that failed (a condition that errs or is not a
boolean, a template that cannot render), which is skipped as in Argo CD.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from kapstan.engine.deeplinks.expr import ExprError, evaluate
from kapstan.engine.deeplinks.template import TemplateError, render

APPLICATION_LINKS = "application.links"
RESOURCE_LINKS = "resource.links"
PROJECT_LINKS = "project.links"
MAX_LINKS = 100


class DeepLinkError(ValueError):
    """A links setting that is not a YAML list of links."""


@dataclass(frozen=True)
class DeepLink:
    """One configured link."""

    title: str
    url: str
    description: str | None = None
    icon_class: str | None = None
    condition: str | None = None


def _text(item: Mapping[str, Any], key: str) -> str | None:
    value = item.get(key)
    return None if value is None else str(value)


def parse_links(raw: str | None, key: str = "") -> list[DeepLink]:
    """The links of one argocd-cm value (``[]`` when unset)."""
    if raw is None or not raw.strip():
        return []
    try:
        items = yaml.safe_load(raw)
    except yaml.YAMLError:
        raise DeepLinkError(f"failed to read {key or 'deep links'}: not YAML") from None
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
        raise DeepLinkError(f"failed to read {key or 'deep links'}: expected a list of links")
    return [
        DeepLink(
            title=str(item.get("title") or ""),
            url=str(item.get("url") or ""),
            description=_text(item, "description"),
            icon_class=_text(item, "icon.class"),
            condition=_text(item, "if"),
        )
        for item in items[:MAX_LINKS]
    ]


def evaluate_links(
    links: Sequence[DeepLink], objects: Mapping[str, Any], name: str
) -> tuple[list[dict[str, str]], list[str]]:
    """``(items, errors)`` for ``links`` over ``objects`` (see the module contract);
    ``name`` names the object in error messages."""
    items: list[dict[str, str]] = []
    errors: list[str] = []
    for link in links:
        if link.condition is not None:
            try:
                verdict = evaluate(link.condition, objects)
            except ExprError as err:
                errors.append(f"failed to evaluate link condition {link.condition!r}: {err}")
                continue
            if not isinstance(verdict, bool):
                errors.append(
                    f"link condition {link.condition!r} evaluated to non-boolean value for "
                    f"resource {name}"
                )
                continue
            if not verdict:
                continue
        try:
            url = render(link.url, objects)
        except TemplateError as err:
            errors.append(f"failed to evaluate link template {link.url!r}: {err}")
            continue
        item = {"title": link.title, "url": url}
        if link.description is not None:
            item["description"] = link.description
        if link.icon_class is not None:
            item["iconClass"] = link.icon_class
        items.append(item)
    return items, errors


__all__ = [
    "APPLICATION_LINKS",
    "PROJECT_LINKS",
    "RESOURCE_LINKS",
    "DeepLink",
    "DeepLinkError",
    "evaluate_links",
    "parse_links",
]
