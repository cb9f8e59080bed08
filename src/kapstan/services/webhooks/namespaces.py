"""Apps in any namespace for webhooks (Argo CD's ``application.namespaces``).

Contracts:

- :func:`app_namespaces`: the patterns of ``application.namespaces`` (argocd-cmd-params-cm, or
  ``kapstan server --application-namespaces``, which wins), comma-separated, blanks dropped;
- :func:`namespace_allowed`: Argo CD's ``glob.MatchStringInList(..., REGEXP)``: a pattern
  written ``/re/`` is a regular expression searched in the name, any other a shell glob
  (``team-*``) matched against the whole name;
- :func:`webhook_apps`: what a webhook looks at: the control-plane namespace's apps (the
  server's mirror) plus, when patterns are set, the apps of every other namespace they allow,
  listed across the cluster when the event is handled (so a namespace added later counts at
  once). A failed cluster-wide list is logged and the control-plane apps still count.
"""

from __future__ import annotations

import fnmatch
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kapstan.kube.client import KubeClient
from kapstan.kube.errors import KubeError
from kapstan.model.vocabulary import API_PREFIX, APPLICATIONS

log = logging.getLogger(__name__)
APP_NAMESPACES_KEY = "application.namespaces"  # argocd-cmd-params-cm
ALL_APPLICATIONS = f"{API_PREFIX}/{APPLICATIONS}"  # every namespace's Applications


def app_namespaces(params: Mapping[str, str]) -> tuple[str, ...]:
    raw = params.get(APP_NAMESPACES_KEY, "")
    return tuple(p.strip() for p in raw.split(",") if p.strip())


def namespace_allowed(namespace: str, patterns: Iterable[str]) -> bool:
    for pattern in patterns:
        if len(pattern) > 1 and pattern.startswith("/") and pattern.endswith("/"):
            try:
                if re.search(pattern[1:-1], namespace):
                    return True
            except re.error:
                log.warning("%s: %r is not a regular expression", APP_NAMESPACES_KEY, pattern)
        elif fnmatch.fnmatchcase(namespace, pattern):
            return True
    return False


def _namespace(app: Mapping[str, Any]) -> str:
    return str((app.get("metadata") or {}).get("namespace") or "")


async def webhook_apps(
    kube: KubeClient,
    own: Sequence[Mapping[str, Any]],
    own_namespace: str,
    patterns: Sequence[str],
) -> list[Mapping[str, Any]]:
    """The apps a webhook event is matched against (see the module contract)."""
    apps: list[Mapping[str, Any]] = list(own)
    if not patterns:
        return apps
    try:
        listed = await kube.list(ALL_APPLICATIONS)
    except KubeError as err:
        log.warning("webhook: listing Applications of other namespaces failed: %s", err)
        return apps
    for app in listed.items:
        namespace = _namespace(app)
        if namespace and namespace != own_namespace and namespace_allowed(namespace, patterns):
            apps.append(app)
    return apps


__all__ = [
    "ALL_APPLICATIONS",
    "APP_NAMESPACES_KEY",
    "app_namespaces",
    "namespace_allowed",
    "webhook_apps",
]
