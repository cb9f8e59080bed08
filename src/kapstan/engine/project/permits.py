"""Source, destination and resource kind permission checks (Argo CD ``AppProject``)."""

from __future__ import annotations

from kapstan.engine.project._glob import glob_match, is_deny, normalize_git_url
from kapstan.engine.project.model import GroupKind, Project

__all__ = [
    "destination_permitted",
    "group_kind_permitted",
    "resource_permitted",
    "source_permitted",
]


def source_permitted(project: Project, repo_url: str) -> bool:
    """Return whether ``repo_url`` may be used as a source in ``project``.

    Patterns are matched against normalized URLs, ``*`` does not cross ``/`` (``**``
    does). A ``!pattern`` that matches the URL denies it outright; a ``!pattern`` that
    does not match counts as a permitting match, exactly as Argo CD evaluates it.
    """
    src = normalize_git_url(repo_url)
    any_matched = False
    for raw in project.source_repos:
        pattern = "!" + normalize_git_url(raw[1:]) if is_deny(raw) else normalize_git_url(raw)
        if glob_match(pattern, src, allow_negation=True, separator="/"):
            any_matched = True
        elif is_deny(pattern):
            return False
    return any_matched


def destination_permitted(project: Project, server: str, name: str, namespace: str) -> bool:
    """Return whether the destination (by ``server`` URL and/or cluster ``name``) is allowed.

    An entry matches when its server or name glob matches (an empty destination field
    never matches) and its namespace glob matches. A non-matching entry that carries a
    ``!`` pattern on the failing field denies the destination.
    """
    any_matched = False
    no_deny_matched = True
    for item in project.destinations:
        name_ok = name != "" and glob_match(item.name, name, allow_negation=True)
        server_ok = server != "" and glob_match(item.server, server, allow_negation=True)
        ns_ok = glob_match(item.namespace, namespace, allow_negation=True)
        if (server_ok or name_ok) and ns_ok:
            any_matched = True
        elif (
            (not name_ok and is_deny(item.name))
            or (not server_ok and is_deny(item.server))
            or (not ns_ok and is_deny(item.namespace))
        ):
            no_deny_matched = False
    return any_matched and no_deny_matched


def _in_list(group: str, kind: str, entries: tuple[GroupKind, ...]) -> bool:
    return any(
        glob_match(e.kind, kind, separator="/") and glob_match(e.group, group, separator="/")
        for e in entries
    )


def group_kind_permitted(project: Project, group: str, kind: str, namespaced: bool) -> bool:
    """Argo CD's ``IsGroupKindPermitted``: the allow/deny lists for one group/kind."""
    if namespaced:
        white = project.namespace_resource_whitelist
        whitelisted = white is None or _in_list(group, kind, white)
        return whitelisted and not _in_list(group, kind, project.namespace_resource_blacklist)
    whitelisted = _in_list(group, kind, project.cluster_resource_whitelist)
    return whitelisted and not _in_list(group, kind, project.cluster_resource_blacklist)


def resource_permitted(project: Project, group: str, kind: str, namespaced: bool) -> bool:
    """Return whether resources of ``group``/``kind`` may be deployed in ``project``.

    Cluster-scoped kinds must be in ``clusterResourceWhitelist`` (empty allows none) and
    not in ``clusterResourceBlacklist``. Namespaced kinds must be in
    ``namespaceResourceWhitelist`` when it is set and not in ``namespaceResourceBlacklist``.
    ``group`` is ``""`` for the core API group.
    """
    return group_kind_permitted(project, group, kind, namespaced)
