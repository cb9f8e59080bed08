"""AppProject views the API answers: global projects, the "virtual" project and the
project's active sync windows, as Argo CD computes them.

Contract:

- :func:`global_projects` reads argocd-cm ``globalProjects`` (YAML list of
  ``{projectName, labelSelector{matchLabels, matchExpressions}}``): every entry whose selector
  matches the project's labels names a global project of it (never the project itself;
  missing projects and unreadable settings give none, as in Argo CD);
- :func:`virtual_project` appends the global projects' lists (``sourceRepos``,
  ``destinations``, resource white/black lists, ``syncWindows``, ``sourceNamespaces``) and,
  for project-scoped repositories and clusters, their URLs and destinations;
- :func:`active_windows` is the raw ``syncWindows`` entries open at ``now`` (Argo CD's
  ``SyncWindows.Active``); a window that cannot be evaluated raises
  :class:`~kapstan.engine.project.SyncWindowError`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import yaml

from kapstan.engine.project import Project, window_active

MERGED_LISTS = (
    "clusterResourceWhitelist",
    "clusterResourceBlacklist",
    "namespaceResourceWhitelist",
    "namespaceResourceBlacklist",
    "syncWindows",
    "sourceRepos",
    "destinations",
    "sourceNamespaces",
)


def _name(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")


def selector_matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """A Kubernetes ``LabelSelector`` against ``labels`` (an empty selector matches all)."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(str(key)) != str(value):
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op = str(expr.get("key") or ""), str(expr.get("operator") or "")
        values = {str(v) for v in expr.get("values") or []}
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            return False
    return True


def global_projects(
    project: Mapping[str, Any], projects: Iterable[Mapping[str, Any]], cm: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The global projects of ``project`` (see the module contract)."""
    try:
        entries = yaml.safe_load(cm.get("globalProjects") or "") or []
    except yaml.YAMLError:
        return []
    if not isinstance(entries, list):
        return []
    by_name = {_name(p): p for p in projects}
    labels = (project.get("metadata") or {}).get("labels") or {}
    found: list[dict[str, Any]] = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        target = str(entry.get("projectName") or "")
        selector = entry.get("labelSelector") or {}
        if target == _name(project) or not isinstance(selector, Mapping):
            continue
        if selector_matches(selector, labels) and target in by_name:
            found.append(copy.deepcopy(dict(by_name[target])))
    return found


def virtual_project(
    project: Mapping[str, Any],
    globals_: Iterable[Mapping[str, Any]],
    repo_urls: Iterable[str] = (),
    clusters: Iterable[tuple[str, tuple[str, ...]]] = (),
) -> dict[str, Any]:
    """``project`` with the global projects and scoped resources merged in."""
    out = copy.deepcopy(dict(project))
    spec = out.setdefault("spec", {})
    for url in repo_urls:
        spec.setdefault("sourceRepos", []).append(url)
    for server, namespaces in clusters:
        for ns in namespaces or ("*",):
            spec.setdefault("destinations", []).append({"server": server, "namespace": ns})
    for gp in globals_:
        gspec = gp.get("spec") or {}
        for key in MERGED_LISTS:
            if gspec.get(key):
                spec.setdefault(key, []).extend(copy.deepcopy(gspec[key]))
    return out


def active_windows(project: Mapping[str, Any], now: datetime) -> list[dict[str, Any]]:
    """The project's sync windows open at ``now`` (see the module contract)."""
    spec = project.get("spec") or {}
    out: list[dict[str, Any]] = []
    for raw in spec.get("syncWindows") or []:
        if not isinstance(raw, Mapping):
            continue
        (window,) = Project.from_spec(_name(project), {"syncWindows": [raw]}).sync_windows
        if window_active(window, now):
            out.append(dict(raw))
    return out


__all__ = ["active_windows", "global_projects", "selector_matches", "virtual_project"]
