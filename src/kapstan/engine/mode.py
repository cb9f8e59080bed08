"""Diff mode selection and the ``argocd.argoproj.io/compare-options`` annotation.

Argo CD reads ``compare-options`` on a resource (``IgnoreExtraneous``) and on the
Application (``ServerSideDiff=true|false``, ``IncludeMutationWebhook=true``).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from kapstan.model.fields import parse_option_annotation
from kapstan.model.vocabulary import COMPARE_OPTIONS


class DiffMode(StrEnum):
    """How predicted live is obtained."""

    THREE_WAY = "three-way"
    SERVER_SIDE = "server-side"


def annotation_options(obj: Mapping[str, Any] | None, annotation: str) -> dict[str, str]:
    """Parse a comma list annotation (``A,B=c``) into ``{"A": "", "B": "c"}``."""
    if obj is None:
        return {}
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    return parse_option_annotation(str(annotations.get(annotation) or ""))


def choose_mode(
    app: Mapping[str, Any] | None, *, dry_run_available: bool, server_side_default: bool = True
) -> DiffMode:
    """Pick the diff mode for an Application.

    The Application annotation ``compare-options: ServerSideDiff=true|false`` overrides
    ``server_side_default`` (Argo CD's ``controller.diff.server.side``). Server-side diff
    needs a dry-run result; without one, three-way is the fallback.
    """
    value = annotation_options(app, COMPARE_OPTIONS).get("ServerSideDiff", "")
    wanted = server_side_default
    if value.lower() == "true":
        wanted = True
    elif value.lower() == "false":
        wanted = False
    return DiffMode.SERVER_SIDE if wanted and dry_run_available else DiffMode.THREE_WAY


def include_mutation_webhook(app: Mapping[str, Any] | None) -> bool:
    """Application annotation ``compare-options: IncludeMutationWebhook=true``."""
    options = annotation_options(app, COMPARE_OPTIONS)
    return options.get("IncludeMutationWebhook", "").lower() == "true"
