"""``kapstan proj add-/remove-source``, ``add-/remove-destination``,
``allow-/deny-cluster-resource`` and ``allow-/deny-namespace-resource``, as argocd has them.

Contract (argocd's): ``add-source`` of a repository already permitted, or ``remove-source`` of
one that is not, prints so and changes nothing (exit 0); ``add-destination`` of one already
there and ``remove-destination`` of a missing one fail (exit 20). ``add-destination`` takes
``SERVER NAMESPACE``, or the cluster's name with ``--name``. The resource commands take
``GROUP KIND`` (``""`` for the core group) and ``-l/--list allow|deny``: the cluster ones act
on the allow list by default (``allow`` adds, ``deny`` removes; with ``--list deny`` the other
way on the deny list); the namespaced ones on the deny list by default.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from kapstan.cli.argocd.errors import CommandExit, handled
from kapstan.cli.argocd.projcommon import modify

ProjectArg = Annotated[str, typer.Argument(help="Project.")]


class ResourceList(StrEnum):
    ALLOW = "allow"
    DENY = "deny"


def add_source(
    project: ProjectArg, url: Annotated[str, typer.Argument(help="Repository URL.")]
) -> None:
    """Permit a source repository."""
    with handled():

        def edit(spec: dict[str, Any]) -> bool:
            repos = spec.setdefault("sourceRepos", [])
            if url in repos:
                print(f"Source repository '{url}' already allowed in project")
                return False
            repos.append(url)
            return True

        modify(project, edit)


def remove_source(
    project: ProjectArg, url: Annotated[str, typer.Argument(help="Repository URL.")]
) -> None:
    """Stop permitting a source repository."""
    with handled():

        def edit(spec: dict[str, Any]) -> bool:
            repos = spec.get("sourceRepos") or []
            if url not in repos:
                print(f"Source repository '{url}' does not exist in project")
                return False
            spec["sourceRepos"] = [r for r in repos if r != url]
            return True

        modify(project, edit)


def _destination(server: str, namespace: str, by_name: bool) -> dict[str, str]:
    return {("name" if by_name else "server"): server, "namespace": namespace}


def _same(found: dict[str, Any], wanted: dict[str, str]) -> bool:
    key = "name" if "name" in wanted else "server"
    return bool(
        found.get(key, "") == wanted[key] and found.get("namespace", "") == wanted["namespace"]
    )


ServerArg = Annotated[str, typer.Argument(help="Cluster URL (or name with --name).")]
NamespaceArg = Annotated[str, typer.Argument(help="Namespace (* for any).")]
NameOpt = Annotated[bool, typer.Option("--name", help="SERVER is the cluster's name.")]


def add_destination(
    project: ProjectArg, server: ServerArg, namespace: NamespaceArg, name: NameOpt = False
) -> None:
    """Permit a destination cluster and namespace."""
    with handled():
        wanted = _destination(server, namespace, name)

        def edit(spec: dict[str, Any]) -> None:
            dests = spec.setdefault("destinations", [])
            if any(_same(d, wanted) for d in dests):
                raise CommandExit(20, "Specified destination is already defined in project")
            dests.append(wanted)

        modify(project, edit)


def remove_destination(
    project: ProjectArg, server: ServerArg, namespace: NamespaceArg, name: NameOpt = False
) -> None:
    """Stop permitting a destination."""
    with handled():
        wanted = _destination(server, namespace, name)

        def edit(spec: dict[str, Any]) -> None:
            dests = spec.get("destinations") or []
            kept = [d for d in dests if not _same(d, wanted)]
            if len(kept) == len(dests):
                raise CommandExit(20, "Specified destination does not exist in project")
            spec["destinations"] = kept

        modify(project, edit)


GroupArg = Annotated[
    str, typer.Argument(metavar="GROUP", help="API group ('' for the core group).")
]
KindArg = Annotated[str, typer.Argument(help="Kind.")]


def _list_opt() -> Any:
    return typer.Option("--list", "-l", help="Which list: allow or deny.", show_default=True)


def _change(project: str, key: str, grp: str, kind: str, *, add: bool, what: str) -> None:
    entry = {"group": grp, "kind": kind}

    def edit(spec: dict[str, Any]) -> bool:
        items = spec.get(key) or []
        present = any(i.get("group", "") == grp and i.get("kind") == kind for i in items)
        if add and present:
            print(f"Group '{grp}' and kind '{kind}' already present in {what}")
            return False
        if not add and not present:
            print(f"Group '{grp}' and kind '{kind}' not in {what}")
            return False
        spec[key] = (
            [*items, entry]
            if add
            else [i for i in items if not (i.get("group", "") == grp and i.get("kind") == kind)]
        )
        action = "added to" if add else "removed from"
        print(f"Group '{grp}' and kind '{kind}' is {action} {what}")
        return True

    modify(project, edit)


_CLUSTER = {
    ResourceList.ALLOW: ("clusterResourceWhitelist", "allowed cluster resources"),
    ResourceList.DENY: ("clusterResourceBlacklist", "denied cluster resources"),
}
_NAMESPACED = {
    ResourceList.ALLOW: ("namespaceResourceWhitelist", "allowed namespaced resources"),
    ResourceList.DENY: ("namespaceResourceBlacklist", "denied namespaced resources"),
}


def allow_cluster_resource(
    project: ProjectArg,
    grp: GroupArg,
    kind: KindArg,
    which: Annotated[ResourceList, _list_opt()] = ResourceList.ALLOW,
) -> None:
    """Allow a cluster-scoped resource (adds to the allow list, or leaves the deny list)."""
    with handled():
        key, what = _CLUSTER[which]
        _change(project, key, grp, kind, add=which is ResourceList.ALLOW, what=what)


def deny_cluster_resource(
    project: ProjectArg,
    grp: GroupArg,
    kind: KindArg,
    which: Annotated[ResourceList, _list_opt()] = ResourceList.ALLOW,
) -> None:
    """Deny a cluster-scoped resource (leaves the allow list, or joins the deny list)."""
    with handled():
        key, what = _CLUSTER[which]
        _change(project, key, grp, kind, add=which is ResourceList.DENY, what=what)


def allow_namespace_resource(
    project: ProjectArg,
    grp: GroupArg,
    kind: KindArg,
    which: Annotated[ResourceList, _list_opt()] = ResourceList.DENY,
) -> None:
    """Allow a namespaced resource (leaves the deny list, or joins the allow list)."""
    with handled():
        key, what = _NAMESPACED[which]
        _change(project, key, grp, kind, add=which is ResourceList.ALLOW, what=what)


def deny_namespace_resource(
    project: ProjectArg,
    grp: GroupArg,
    kind: KindArg,
    which: Annotated[ResourceList, _list_opt()] = ResourceList.DENY,
) -> None:
    """Deny a namespaced resource (joins the deny list, or leaves the allow list)."""
    with handled():
        key, what = _NAMESPACED[which]
        _change(project, key, grp, kind, add=which is ResourceList.DENY, what=what)


def register(group: typer.Typer) -> None:
    for command in (
        add_source, remove_source, add_destination, remove_destination, allow_cluster_resource,
        deny_cluster_resource, allow_namespace_resource, deny_namespace_resource,
    ):  # fmt: skip
        group.command(command.__name__.replace("_", "-"))(command)


__all__ = ["ResourceList", "register"]
