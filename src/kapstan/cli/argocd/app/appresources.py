"""``kapstan app resources|get-resource|patch-resource|delete-resource|actions|logs|
terminate-op``: an application's live resources, as ``argocd`` has them.

Contract: resources are named by ``--group/--kind/--resource-name/--namespace`` and looked
up in the app's resource tree (so version, group and namespace need not be typed); one match
is needed unless ``--all``. ``resources`` prints ``GROUP KIND NAMESPACE NAME ORPHANED`` (the
app's top-level resources, plus orphaned ones; ``--orphaned``: only those). ``get-resource``
prints the live object as YAML (``-o json``). ``patch-resource`` prints ``Resource '<name>'
patched``; ``delete-resource`` ``Resource '<name>' deleted``. ``actions list`` prints ``GROUP
KIND NAME ACTION DISABLED``; ``actions run`` runs through ``/resource/actions/v2``; both
consider argocd's actionable resources (the app's own and the Application itself).
``logs`` (``--name`` for the resource's name, as argocd) prints each entry's content
from the NDJSON stream until its last frame (``--follow``: until interrupted).
``terminate-op`` prints ``Application '<name>' operation terminating``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from kapstan.cli.argocd import session
from kapstan.cli.argocd.app.appapi import (
    app_path,
    find_resources,
    get_tree,
    one_resource,
    resource_query,
)
from kapstan.cli.argocd.app.appflags import AppName, OutputOpt, ResourceFilter, with_resource_filter
from kapstan.cli.argocd.errors import GENERIC, CommandExit, handled
from kapstan.cli.argocd.output import OutputFormat, check_format, emit, table
from kapstan.client.http import ApiClient

AllOpt = Annotated[bool, typer.Option("--all", help="Every matching resource.")]


def _targets(
    client: ApiClient, name: str, target: ResourceFilter, every: bool, *, actionable: bool = False
) -> list[dict[str, Any]]:
    if not target.kind:
        raise CommandExit(GENERIC, "--kind is required")
    if every:
        found = find_resources(client, name, target, actionable=actionable)
        if not found:
            raise CommandExit(
                GENERIC, f"{target.describe()} not found as part of application {name}"
            )
        return found
    return [one_resource(client, name, target, actionable=actionable)]


def _row(node: dict[str, Any], orphaned: str) -> tuple[str, ...]:
    keys = ("group", "kind", "namespace", "name")
    return (*(str(node.get(k) or "") for k in keys), orphaned)


def resources(
    name: AppName,
    orphaned: Annotated[bool, typer.Option("--orphaned", help="Only orphaned resources.")] = False,
    output: OutputOpt = "",
) -> None:
    """List an application's resources."""
    with handled():
        fmt = check_format(output, (OutputFormat.TEXT, OutputFormat.WIDE))
        del fmt
        tree = get_tree(session.current().client(), name)
        rows = [] if orphaned else [_row(n, "No") for n in tree.get("nodes") or []
                                    if not n.get("parentRefs")]  # fmt: skip
        rows += [_row(n, "Yes") for n in tree.get("orphanedNodes") or []]
        table(("GROUP", "KIND", "NAMESPACE", "NAME", "ORPHANED"), rows)


@with_resource_filter
def get_resource(name: AppName, output: OutputOpt = "", *, target: ResourceFilter) -> None:
    """Print one live resource of an application."""
    with handled():
        fmt = check_format(output, (OutputFormat.TEXT, OutputFormat.YAML, OutputFormat.JSON))
        client = session.current().client()
        node = _targets(client, name, target, every=False)[0]
        answer = client.get(app_path(name, "resource"), **resource_query(node))
        obj = json.loads(str((answer or {}).get("manifest") or "{}"))
        if not emit(obj, OutputFormat.YAML if fmt is OutputFormat.TEXT else fmt):
            raise AssertionError("unreachable")


@with_resource_filter
def patch_resource(
    name: AppName,
    patch: Annotated[str, typer.Option("--patch", help="The patch (JSON).")],
    patch_type: Annotated[
        str, typer.Option("--patch-type", help="A patch content type, or merge|json|strategic.")
    ] = "application/merge-patch+json",
    every: AllOpt = False,
    *,
    target: ResourceFilter,
) -> None:
    """Patch live resources of an application."""
    with handled():
        client = session.current().client()
        for node in _targets(client, name, target, every):
            params = {**resource_query(node), "patchType": patch_type}
            client.request("POST", app_path(name, "resource"), params=params, body=patch)
            print(f"Resource '{node.get('name')}' patched")


@with_resource_filter
def delete_resource(
    name: AppName,
    force: Annotated[bool, typer.Option("--force", help="Delete at once (no grace).")] = False,
    orphan: Annotated[bool, typer.Option("--orphan", help="Leave its dependents.")] = False,
    every: AllOpt = False,
    *,
    target: ResourceFilter,
) -> None:
    """Delete live resources of an application."""
    with handled():
        client = session.current().client()
        for node in _targets(client, name, target, every):
            params = {**resource_query(node), "force": force, "orphan": orphan}
            client.request("DELETE", app_path(name, "resource"), params=params)
            print(f"Resource '{node.get('name')}' deleted")


actions = typer.Typer(no_args_is_help=True, help="Manage resource actions.")


@actions.command("list")
@with_resource_filter
def list_actions(
    name: AppName,
    output: Annotated[str, typer.Option("--out", "-o", help="json|yaml, or a table.")] = "",
    *,
    target: ResourceFilter,
) -> None:
    """List the actions of an application's resources (and of the Application itself)."""
    with handled():
        fmt = check_format(output, (OutputFormat.TEXT, OutputFormat.JSON, OutputFormat.YAML))
        client = session.current().client()
        shown: list[dict[str, Any]] = []  # argocd's DisplayedAction, its Go field names
        for node in find_resources(client, name, target, actionable=True):
            answer = client.get(app_path(name, "resource/actions"), **resource_query(node))
            for action in (answer or {}).get("actions") or []:
                shown.append({"Group": node.get("group", ""), "Kind": node.get("kind", ""),
                              "Name": node.get("name", ""), "Action": action.get("name", ""),
                              "Disabled": bool(action.get("disabled"))})  # fmt: skip
        if emit(shown, fmt):
            return
        rows = [(*(a[k] for k in ("Group", "Kind", "Name", "Action")),
                 "true" if a["Disabled"] else "false") for a in shown]  # fmt: skip
        table(("GROUP", "KIND", "NAME", "ACTION", "DISABLED"), rows)


@actions.command("run")
@with_resource_filter
def run_action(
    name: AppName,
    action: Annotated[str, typer.Argument(help="The action.", metavar="ACTION")],
    every: AllOpt = False,
    *,
    target: ResourceFilter,
) -> None:
    """Run an action on an application's resources."""
    with handled():
        client = session.current().client()
        for node in _targets(client, name, target, every, actionable=True):
            body = {**resource_query(node), "name": name, "action": action}
            client.request("POST", app_path(name, "resource/actions/v2"), body=body)


def logs(
    name: AppName,
    container: Annotated[str, typer.Option("--container", "-c", help="The container.")] = "",
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Stream new lines.")] = False,
    tail: Annotated[int, typer.Option("--tail", help="Lines from the end.")] = 0,
    since_seconds: Annotated[int, typer.Option("--since-seconds", help="Only the last N s.")] = 0,
    until_time: Annotated[str, typer.Option("--until-time", help="Up to (RFC 3339).")] = "",
    filter_: Annotated[str, typer.Option("--filter", help="Lines containing this.")] = "",
    match_case: Annotated[bool, typer.Option("--match-case", "-m", help="Case-sensitive.")] = False,
    previous: Annotated[bool, typer.Option("--previous", "-p", help="Terminated ones.")] = False,
    *,
    target: ResourceFilter,
) -> None:
    """Print the logs of an application's pods."""
    with handled():
        params = {
            "container": container, "follow": follow, "tailLines": tail or None,
            "sinceSeconds": since_seconds or None, "untilTime": until_time, "filter": filter_,
            "matchCase": match_case or None, "previous": previous or None, "group": target.group,
            "kind": target.kind, "resourceName": target.name, "namespace": target.namespace,
        }  # fmt: skip
        client = session.current().client()
        for entry in client.stream(app_path(name, "logs"), params, timeout=None):
            if not isinstance(entry, dict):
                continue
            if entry.get("last"):
                break
            print(entry.get("content") or "", flush=True)


logs = with_resource_filter(logs, name_flag="--name")


def terminate_op(name: AppName) -> None:
    """Terminate an application's running operation."""
    with handled():
        session.current().client().request("DELETE", app_path(name, "operation"))
        print(f"Application '{name}' operation terminating")


def register(group: typer.Typer) -> None:
    group.command("resources")(resources)
    group.command("get-resource")(get_resource)
    group.command("patch-resource")(patch_resource)
    group.command("delete-resource")(delete_resource)
    group.command("logs")(logs)
    group.command("terminate-op")(terminate_op)
    group.add_typer(actions, name="actions")


__all__ = ["register"]
