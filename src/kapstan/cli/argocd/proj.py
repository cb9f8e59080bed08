"""``kapstan proj create|get|list|delete|edit|set``, as ``argocd proj`` has them.

Contract: ``create NAME`` posts an AppProject (from ``-f FILE`` or the flags: ``--description``,
``-s/--src`` repos, ``-d/--dest SERVER,NAMESPACE``, ``--allow-cluster-resource GROUP/KIND``
and the other resource lists) to ``/api/v1/projects`` (``--upsert`` replaces a different
spec). ``get`` prints the project's header block (``-o json|yaml`` the object unchanged),
``list`` argocd's table (``-o name|json|yaml``), ``delete`` removes projects, ``edit`` opens
the spec as YAML in ``$KUBE_EDITOR``, ``$VISUAL`` or ``$EDITOR`` (else ``vi``) and saves it
when it changed, ``set`` replaces the lists given by flags. Sources, destinations and
resource lists one at a time are in :mod:`.projspec`, roles in :mod:`.projroles`, windows
in :mod:`.projwindows`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import click
import typer
import yaml

from kapstan.cli.argocd import projroles, projspec, projwindows
from kapstan.cli.argocd.errors import CommandExit, handled
from kapstan.cli.argocd.login import OutputOpt
from kapstan.cli.argocd.output import OutputFormat, block, check_format, emit, table
from kapstan.cli.argocd.projcommon import (
    PROJECTS,
    client,
    count_of,
    destinations,
    fetch,
    group_kinds,
    or_none,
    save,
)

group = typer.Typer(no_args_is_help=True, help="Manage projects.")

Strings = list[str] | None
DescriptionOpt = Annotated[str | None, typer.Option("--description", help="Description.")]
SrcOpt = Annotated[Strings, typer.Option("--src", "-s", help="Permitted source repository URL.")]
DestOpt = Annotated[
    Strings, typer.Option("--dest", "-d", help="Permitted destination SERVER,NAMESPACE.")
]
AllowClusterOpt = Annotated[
    Strings, typer.Option("--allow-cluster-resource", help="Allowed cluster resource GROUP/KIND.")
]
DenyClusterOpt = Annotated[
    Strings, typer.Option("--deny-cluster-resource", help="Denied cluster resource GROUP/KIND.")
]
AllowNsOpt = Annotated[
    Strings,
    typer.Option("--allow-namespaced-resource", help="Allowed namespaced resource GROUP/KIND."),
]
DenyNsOpt = Annotated[
    Strings,
    typer.Option("--deny-namespaced-resource", help="Denied namespaced resource GROUP/KIND."),
]
SourceNsOpt = Annotated[
    Strings, typer.Option("--source-namespaces", help="Namespaces applications may live in.")
]


def _group_kind(raw: str) -> dict[str, str]:
    grp, sep, kind = raw.rpartition("/")
    if not sep or not kind:
        raise CommandExit(20, f"resource {raw!r} must be GROUP/KIND (an empty group is '/Kind')")
    return {"group": grp, "kind": kind}


def _destination(raw: str) -> dict[str, str]:
    server, sep, namespace = raw.partition(",")
    if not sep or not server:
        raise CommandExit(20, f"destination {raw!r} must be SERVER,NAMESPACE")
    key = "server" if "://" in server else "name"
    return {key: server, "namespace": namespace}


def apply_flags(spec: dict[str, Any], **given: Strings | str | None) -> None:
    """Replace the spec's lists (and description) named by the flags that were given."""
    if given.get("description") is not None:
        spec["description"] = given["description"]
    lists: dict[str, tuple[str, Any]] = {
        "src": ("sourceRepos", str),
        "dest": ("destinations", _destination),
        "allow_cluster": ("clusterResourceWhitelist", _group_kind),
        "deny_cluster": ("clusterResourceBlacklist", _group_kind),
        "allow_ns": ("namespaceResourceWhitelist", _group_kind),
        "deny_ns": ("namespaceResourceBlacklist", _group_kind),
        "source_namespaces": ("sourceNamespaces", str),
    }
    for flag, (key, convert) in lists.items():
        values = given.get(flag)
        if values is not None and not isinstance(values, str):
            spec[key] = [convert(v) for v in values]


_DATA = (OutputFormat.JSON, OutputFormat.YAML)


@group.command()
def create(
    name: Annotated[str, typer.Argument(help="Project name (or from -f).")] = "",
    file: Annotated[Path | None, typer.Option("--file", "-f", help="AppProject YAML/JSON.")] = None,
    upsert: Annotated[bool, typer.Option("--upsert", help="Replace a different spec.")] = False,
    description: DescriptionOpt = None,
    src: SrcOpt = None,
    dest: DestOpt = None,
    allow_cluster: AllowClusterOpt = None,
    deny_cluster: DenyClusterOpt = None,
    allow_ns: AllowNsOpt = None,
    deny_ns: DenyNsOpt = None,
    source_namespaces: SourceNsOpt = None,
) -> None:
    """Create a project."""
    with handled():
        project: dict[str, Any] = {"metadata": {"name": name}, "spec": {}}
        if file is not None:
            try:
                loaded = yaml.safe_load(file.read_text())
            except (OSError, yaml.YAMLError) as err:
                raise CommandExit(20, f"cannot read {file}: {err}") from None
            if not isinstance(loaded, dict):
                raise CommandExit(20, f"{file} does not hold an AppProject")
            project = loaded
            project.setdefault("metadata", {})
            project.setdefault("spec", {})
            if name:
                project["metadata"]["name"] = name
        if not project["metadata"].get("name"):
            raise CommandExit(20, "a project name is required (NAME or metadata.name in -f)")
        apply_flags(
            project["spec"], description=description, src=src, dest=dest,
            allow_cluster=allow_cluster, deny_cluster=deny_cluster, allow_ns=allow_ns,
            deny_ns=deny_ns, source_namespaces=source_namespaces,
        )  # fmt: skip
        client().request("POST", PROJECTS, body={"project": project, "upsert": upsert})


@group.command()
def get(name: Annotated[str, typer.Argument(help="Project.")], output: OutputOpt = "") -> None:
    """Show a project."""
    with handled():
        fmt = check_format(output, (OutputFormat.TEXT, OutputFormat.WIDE, *_DATA))
        project = fetch(name)
        if emit(project, fmt):
            return
        spec = project.get("spec") or {}
        kinds = {key: or_none(group_kinds(spec.get(key))) for key in _RESOURCE_LISTS}
        keys = [k.get("keyID", "") for k in spec.get("signatureKeys") or []]
        block(
            [
                ("Name", name),
                ("Description", spec.get("description", "")),
                ("Destinations", or_none(destinations(spec))),
                ("Repositories", or_none(spec.get("sourceRepos") or [])),
                ("Source Namespaces", or_none(spec.get("sourceNamespaces") or [])),
                *((label, kinds[key]) for key, label in _RESOURCE_LISTS.items()),
                ("Signature keys", or_none(keys)),
                ("Orphaned Resources", _orphaned(spec)),
            ]
        )


_RESOURCE_LISTS = {
    "clusterResourceWhitelist": "Allowed Cluster Resources",
    "clusterResourceBlacklist": "Denied Cluster Resources",
    "namespaceResourceWhitelist": "Allowed Namespaced Resources",
    "namespaceResourceBlacklist": "Denied Namespaced Resources",
}


def _orphaned(spec: dict[str, Any]) -> str:
    orphaned = spec.get("orphanedResources")
    if orphaned is None:
        return "disabled"
    return f"enabled (warn={str(bool(orphaned.get('warn'))).lower()})"


@group.command("list")
def list_(output: OutputOpt = "") -> None:
    """List projects."""
    with handled():
        fmt = check_format(
            output, (OutputFormat.TEXT, OutputFormat.WIDE, OutputFormat.NAME, *_DATA)
        )
        items = client().get(PROJECTS).get("items") or []
        if emit(items, fmt):
            return
        if fmt is OutputFormat.NAME:
            for item in items:
                print(item["metadata"]["name"])
            return
        rows = []
        for item in items:
            spec = item.get("spec") or {}
            rows.append(
                (
                    item["metadata"]["name"],
                    spec.get("description", ""),
                    count_of(destinations(spec), "destinations"),
                    count_of(spec.get("sourceRepos") or [], "repos"),
                    count_of(group_kinds(spec.get("clusterResourceWhitelist")), "resources"),
                    count_of(group_kinds(spec.get("namespaceResourceBlacklist")), "resources"),
                    count_of(
                        [k.get("keyID", "") for k in spec.get("signatureKeys") or []], "key(s)"
                    ),
                    _orphaned(spec),
                )
            )
        table(
            ("NAME", "DESCRIPTION", "DESTINATIONS", "SOURCES", "CLUSTER-RESOURCE-WHITELIST",
             "NAMESPACE-RESOURCE-BLACKLIST", "SIGNATURE-KEYS", "ORPHANED-RESOURCES"),
            rows,
        )  # fmt: skip


@group.command()
def delete(names: Annotated[list[str], typer.Argument(help="Projects.")]) -> None:
    """Delete projects."""
    with handled():
        for name in names:
            client().request("DELETE", f"{PROJECTS}/{name}")


@group.command("set")
def set_(
    name: Annotated[str, typer.Argument(help="Project.")],
    description: DescriptionOpt = None,
    src: SrcOpt = None,
    dest: DestOpt = None,
    allow_cluster: AllowClusterOpt = None,
    deny_cluster: DenyClusterOpt = None,
    allow_ns: AllowNsOpt = None,
    deny_ns: DenyNsOpt = None,
    source_namespaces: SourceNsOpt = None,
) -> None:
    """Replace a project's description or lists (each flag given replaces its list)."""
    with handled():
        project = fetch(name)
        spec = project.setdefault("spec", {})
        apply_flags(
            spec, description=description, src=src, dest=dest, allow_cluster=allow_cluster,
            deny_cluster=deny_cluster, allow_ns=allow_ns, deny_ns=deny_ns,
            source_namespaces=source_namespaces,
        )  # fmt: skip
        save(project)


@group.command()
def edit(name: Annotated[str, typer.Argument(help="Project.")]) -> None:
    """Edit a project's spec in $EDITOR; saved when it changed."""
    with handled():
        project = fetch(name)
        before = yaml.safe_dump(project.get("spec") or {}, sort_keys=False)
        try:
            after = click.edit(
                before, editor=os.environ.get("KUBE_EDITOR") or None, extension=".yaml"
            )
        except click.ClickException as err:
            raise CommandExit(20, f"cannot run the editor: {err.message}") from None
        if after is None or after == before:
            print("Edit cancelled, no changes made.")
            return
        try:
            spec = yaml.safe_load(after)
        except yaml.YAMLError as err:
            raise CommandExit(20, f"the edited spec is not YAML: {err}") from None
        if not isinstance(spec, dict):
            raise CommandExit(20, "the edited spec must be a mapping")
        project["spec"] = spec
        save(project)


for module in (projspec, projroles, projwindows):
    module.register(group)

__all__ = ["apply_flags", "group"]
