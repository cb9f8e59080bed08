"""Which Applications a :class:`~kapstan.services.webhooks.events.Push` concerns (Argo CD's
rules, ``util/webhook`` and ``util/app/path``).

Contracts:

- :func:`same_repo`: a source's ``repoURL`` names the pushed repository when its host (without
  user, port, an ``ssh.``/``altssh.`` prefix) and path (without ``.git`` and slashes at either
  end) equal the web URL's, case-insensitively; https, http, ssh and scp-like forms all count;
- :func:`revision_moved`: an empty or ``HEAD`` target follows the default branch
  (``touched_head``); ``refs/heads/x`` / ``refs/tags/x`` and plain names compare with the
  pushed short ref; a semver constraint (``1.2.*``, ``>=1.0.0``) is satisfied by a pushed tag;
- :func:`refresh_paths` / :func:`files_touched`: the ``manifest-generate-paths`` annotation,
  split on ``;``; ``/x`` is from the repository root, anything else (``.`` too) from each
  source's path; a changed file counts when it equals a path, lies below it or matches it as
  a glob (``*`` within one segment); no annotation, or no file list: touched;
- :func:`matching_apps`: each app once, when any of its sources matches all three;
- :func:`registry_matching_apps` (a :class:`~kapstan.services.webhooks.events.RegistryPush`,
  Argo CD's ``HandleRegistryEvent``): each app once, when a source's ``repoURL`` — or
  ``repoURL/chart`` for a Helm chart — names ``<registry>/<repository>`` (``oci://`` and
  trailing slashes dropped, case-insensitive) and its ``targetRevision`` equals the tag
  (``refs/tags/`` dropped) or is a semver constraint the tag satisfies; an empty or ``HEAD``
  target never matches a tag, as in Argo CD.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from kapstan.services.webhooks.events import Push, RegistryPush, short_ref
from kapstan.source.revisions import is_constraint, max_satisfying_tag

MANIFEST_GENERATE_PATHS = "argocd.argoproj.io/manifest-generate-paths"
_SCP = re.compile(r"^(?:[^@/:]+@)?(?P<host>[^/:]+):(?P<path>.*)$")


def repo_key(url: str) -> tuple[str, str] | None:
    """``(host, path)`` of a repository URL for comparison, ``None`` when it names no host."""
    url = url.strip().lower()
    if "://" in url:
        try:
            parts = urlsplit(url)
            host, path = parts.hostname or "", parts.path
        except ValueError:
            return None
    else:
        m = _SCP.match(url)
        if m is None:
            return None
        host, path = m["host"], m["path"]
    for prefix in ("altssh.", "ssh."):
        host = host.removeprefix(prefix)
    path = path.strip("/").removesuffix(".git").strip("/")
    return (host, path) if host and path else None


def same_repo(repo_url: str, pushed: Iterable[tuple[str, str]]) -> bool:
    key = repo_key(repo_url)
    return key is not None and key in pushed


def revision_moved(target: str, push: Push) -> bool:
    target = target.strip()
    if target in ("", "HEAD"):
        return push.touched_head
    if target.startswith(("refs/heads/", "refs/tags/")):
        return short_ref(target) == push.revision
    if target == push.revision:
        return True
    if is_constraint(target) and push.revision:
        return max_satisfying_tag(target, [push.revision]) is not None
    return False


def _sources(app: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    spec = app.get("spec") or {}
    sources = spec.get("sources") or ([spec["source"]] if spec.get("source") else [])
    return [s for s in sources if isinstance(s, Mapping)]


def refresh_paths(app: Mapping[str, Any]) -> list[str]:
    """The paths of the annotation, relative to the repository root (empty: none set)."""
    annotations = (app.get("metadata") or {}).get("annotations") or {}
    value = str(annotations.get(MANIFEST_GENERATE_PATHS) or "")
    paths: list[str] = []
    for item in (i.strip() for i in value.split(";")):
        if not item:
            continue
        if item.startswith("/"):
            paths.append(posixpath.normpath(item).lstrip("/") or ".")
            continue
        for source in _sources(app):
            base = str(source.get("path") or ".")
            paths.append(posixpath.normpath(posixpath.join(base, item)).lstrip("/") or ".")
    return paths


def _glob(pattern: str) -> re.Pattern[str]:
    parts = (".*" if c == "**" else "[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c)
             for c in re.split(r"(\*\*|\*|\?)", pattern))  # fmt: skip
    return re.compile("".join(parts) + r"\Z")


def files_touched(paths: Sequence[str], changed: Sequence[str] | None) -> bool:
    if not changed or not paths:
        return True
    prefixes = [p.rstrip("/") for p in paths]
    globs = [_glob(p) for p in prefixes if any(c in p for c in "*?[")]
    for changed_name in changed:
        name = posixpath.normpath(changed_name.lstrip("/"))
        for prefix in prefixes:
            if prefix in (".", name) or name.startswith(prefix + "/"):
                return True
        if any(g.match(name) for g in globs):
            return True
    return False


def app_matches(app: Mapping[str, Any], push: Push, keys: Sequence[tuple[str, str]]) -> bool:
    for source in _sources(app):
        if not same_repo(str(source.get("repoURL") or ""), keys):
            continue
        if not revision_moved(str(source.get("targetRevision") or ""), push):
            continue
        if files_touched(refresh_paths(app), push.changed_files):
            return True
    return False


def pushed_keys(push: Push) -> list[tuple[str, str]]:
    return [k for k in (repo_key(u) for u in push.urls) if k is not None]


def matching_apps(apps: Iterable[Mapping[str, Any]], push: Push) -> list[Mapping[str, Any]]:
    """The apps ``push`` concerns (see the module contract)."""
    keys = pushed_keys(push)
    if not keys:
        return []
    return [app for app in apps if app_matches(app, push, keys)]


def oci_key(url: str) -> str:
    """Argo CD's ``NormalizeOCI``: without ``oci://`` and a trailing slash, lower case."""
    return url.strip().removeprefix("oci://").rstrip("/").lower()


def source_uses_oci(source: Mapping[str, Any], pushed: str) -> bool:
    repo_url = str(source.get("repoURL") or "")
    if not repo_url:
        return False
    if oci_key(repo_url) == pushed:
        return True
    chart = str(source.get("chart") or "").strip("/")
    return bool(chart) and oci_key(f"{repo_url.rstrip('/')}/{chart}") == pushed


def registry_matching_apps(
    apps: Iterable[Mapping[str, Any]], push: RegistryPush
) -> list[Mapping[str, Any]]:
    """The apps a registry push concerns (see the module contract)."""
    pushed = oci_key(push.oci_url)
    tag = Push(urls=(), revision=push.tag)  # a tag never moves HEAD
    return [
        app
        for app in apps
        if any(
            source_uses_oci(s, pushed) and revision_moved(str(s.get("targetRevision") or ""), tag)
            for s in _sources(app)
        )
    ]


__all__ = [
    "MANIFEST_GENERATE_PATHS",
    "app_matches",
    "files_touched",
    "matching_apps",
    "oci_key",
    "pushed_keys",
    "refresh_paths",
    "registry_matching_apps",
    "repo_key",
    "revision_moved",
    "same_repo",
    "source_uses_oci",
]
