"""The API calls the ``app`` commands share: paths, the app, its tree, its resources.

Contract: :func:`app_path` is ``/api/v1/applications/<name>[/<sub>]`` (the name quoted);
:func:`get_app` and :func:`get_tree` answer the server's objects unchanged;
:func:`find_resources` lists the tree's nodes (the app's own, then orphaned ones when asked)
that a :class:`~kapstan.cli.argocd.app.appflags.ResourceFilter` matches, falling back on
``status.resources`` when the tree is empty, and :func:`one_resource` insists on exactly one
(Argo CD's "use --all" rule), raising a :class:`CommandExit` otherwise.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from kapstan.cli.argocd.app.appflags import ResourceFilter
from kapstan.cli.argocd.errors import GENERIC, CommandExit
from kapstan.client.http import ApiClient
from kapstan.model.vocabulary import GROUP, VERSION

BASE = "/api/v1/applications"


def app_path(name: str, sub: str = "") -> str:
    path = f"{BASE}/{quote(name, safe='')}"
    return f"{path}/{sub}" if sub else path


def get_app(client: ApiClient, name: str, **params: Any) -> dict[str, Any]:
    found = client.get(app_path(name), **params)
    if not isinstance(found, dict):
        raise CommandExit(GENERIC, f"unexpected answer for application {name!r}")
    return found


def get_tree(client: ApiClient, name: str) -> dict[str, Any]:
    found = client.get(app_path(name, "resource-tree"))
    return found if isinstance(found, dict) else {}


def find_resources(
    client: ApiClient,
    name: str,
    target: ResourceFilter,
    *,
    orphaned: bool = False,
    actionable: bool = False,
) -> list[dict[str, Any]]:
    """The matching nodes (module contract); ``actionable``: argocd's actionable resources,
    the app's own (top-level) resources and the Application itself."""
    tree = get_tree(client, name)
    nodes: list[dict[str, Any]] = [n for n in tree.get("nodes") or [] if isinstance(n, dict)]
    if actionable:
        nodes = [n for n in nodes if not n.get("parentRefs")]
    if orphaned:
        nodes += [n for n in tree.get("orphanedNodes") or [] if isinstance(n, dict)]
    if not nodes or actionable:
        app = get_app(client, name)
        if not nodes:
            status = app.get("status") or {}
            nodes = [r for r in status.get("resources") or [] if isinstance(r, dict)]
        if actionable:
            meta = app.get("metadata") or {}
            nodes.append({"group": GROUP, "version": VERSION, "kind": "Application",
                          "namespace": meta.get("namespace", ""), "name": name})  # fmt: skip
    return [n for n in nodes if target.matches(n)]


def one_resource(
    client: ApiClient, name: str, target: ResourceFilter, *, actionable: bool = False
) -> dict[str, Any]:
    found = find_resources(client, name, target, actionable=actionable)
    if not found:
        raise CommandExit(GENERIC, f"{target.describe()} not found as part of application {name}")
    if len(found) > 1:
        raise CommandExit(
            GENERIC,
            f"{len(found)} resources match {target.describe()} in application {name}: "
            "narrow it with --group/--namespace/--resource-name (or pass --all)",
        )
    return found[0]


def resource_query(node: dict[str, Any]) -> dict[str, str]:
    """The ``.../resource`` query parameters naming ``node``."""
    return {
        "namespace": str(node.get("namespace") or ""),
        "resourceName": str(node.get("name") or ""),
        "version": str(node.get("version") or ""),
        "group": str(node.get("group") or ""),
        "kind": str(node.get("kind") or ""),
    }


__all__ = ["app_path", "find_resources", "get_app", "get_tree", "one_resource", "resource_query"]
