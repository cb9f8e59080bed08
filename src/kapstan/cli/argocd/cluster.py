"""``kapstan cluster get|list|rm|set`` (and ``add``, in :mod:`.clusteradd`), as
``argocd cluster`` has them.

Contract: a cluster is named by its server URL or, when the word is not a URL, by its name
(``id.type=name``, as argocd's selector). ``list`` prints ``SERVER NAME VERSION STATUS MESSAGE
PROJECT`` (``-o json|yaml|server``); ``get`` prints the API's object as YAML by default
(``-o json|yaml|wide|server``); ``rm`` asks before removing unless ``-y``; ``set`` changes the
name, namespaces, project, labels or annotations (only those given, sent as
``updatedFields``). Credentials are never printed: the API's answers carry none.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated, Any
from urllib.parse import quote

import typer

from kapstan.cli.argocd import session
from kapstan.cli.argocd.errors import CommandExit, handled
from kapstan.cli.argocd.login import OutputOpt
from kapstan.cli.argocd.output import OutputFormat, check_format, emit, table

group = typer.Typer(no_args_is_help=True, help="Manage cluster credentials.")
CLUSTERS = "/api/v1/clusters"
_SERVER_FORMAT = "server"
HEADERS = ("SERVER", "NAME", "VERSION", "STATUS", "MESSAGE", "PROJECT")


def confirm(question: str, yes: bool) -> bool:
    """``yes``, or the user's answer (a line of standard input when it is not a terminal)."""
    if yes:
        return True
    if sys.stdin.isatty():
        return bool(typer.confirm(question, default=False))
    sys.stdout.write(f"{question} [y/N]: ")
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def pairs(raw: Sequence[str] | None, flag: str) -> dict[str, str]:
    """``key=value`` flags (``--label``, ``--annotation``) as a mapping."""
    out: dict[str, str] = {}
    for item in raw or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CommandExit(20, f"{flag} {item!r}: expected key=value")
        out[key] = value
    return out


def selector(value: str) -> tuple[str, dict[str, str]]:
    """The API path and query of the cluster ``value`` names (a URL, else a name)."""
    params = {} if "://" in value else {"id.type": "name"}
    return f"{CLUSTERS}/{quote(value, safe='')}", params


def rows(items: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
    out = []
    for item in items:
        info = item.get("info") or {}
        state = item.get("connectionState") or info.get("connectionState") or {}
        version = item.get("serverVersion") or info.get("serverVersion") or ""
        out.append(
            (item.get("server", ""), item.get("name", ""), version, state.get("status", ""),
             state.get("message", ""), item.get("project", ""))
        )  # fmt: skip
    return out


def _fetch(value: str) -> dict[str, Any]:
    path, params = selector(value)
    found: dict[str, Any] = session.current().client().get(path, **params)
    return found


@group.command("get")
def get(
    value: Annotated[str, typer.Argument(help="Server URL or cluster name.")],
    output: OutputOpt = "yaml",
) -> None:
    """Show a cluster (YAML by default)."""
    with handled():
        found = _fetch(value)
        if output == _SERVER_FORMAT:
            print(found.get("server", ""))
            return
        fmt = check_format(output, (OutputFormat.JSON, OutputFormat.YAML, OutputFormat.WIDE))
        if emit(found, fmt):
            return
        table(HEADERS, rows([found]))


@group.command("list")
def list_(output: OutputOpt = "") -> None:
    """List the clusters and their connection states."""
    with handled():
        items = session.current().client().get(CLUSTERS).get("items") or []
        if output == _SERVER_FORMAT:
            for item in items:
                print(item.get("server", ""))
            return
        fmt = check_format(
            output, (OutputFormat.TEXT, OutputFormat.WIDE, OutputFormat.JSON, OutputFormat.YAML)
        )
        if emit(items, fmt):
            return
        table(HEADERS, rows(items))


@group.command("rm")
def rm(
    values: Annotated[list[str], typer.Argument(help="Server URLs or cluster names.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Remove clusters (their applications' health becomes Unknown)."""
    with handled():
        for value in values:
            question = (
                f"Are you sure you want to remove '{value}'? Any Apps deploying to this "
                "cluster will go to health status Unknown."
            )
            if not confirm(question, yes):
                print(f"The command to remove '{value}' was cancelled.")
                continue
            path, params = selector(value)
            session.current().client().request("DELETE", path, params=params)
            print(f"Cluster '{value}' removed")


@group.command("set")
def set_(
    value: Annotated[str, typer.Argument(help="Server URL or cluster name.")],
    name: Annotated[str | None, typer.Option("--name", help="New name.")] = None,
    namespaces: Annotated[
        list[str] | None, typer.Option("--namespace", help="Managed namespace (repeat).")
    ] = None,
    project: Annotated[str | None, typer.Option("--project", help="Project.")] = None,
    labels: Annotated[list[str] | None, typer.Option("--label", help="key=value.")] = None,
    annotations: Annotated[
        list[str] | None, typer.Option("--annotation", help="key=value.")
    ] = None,
) -> None:
    """Change a cluster's name, namespaces, project, labels or annotations."""
    with handled():
        found = _fetch(value)
        changed: list[str] = []
        given: dict[str, Any] = {
            "name": name,
            "namespaces": [n for raw in namespaces for n in raw.split(",") if n]
            if namespaces is not None
            else None,
            "project": project,
            "labels": pairs(labels, "--label") if labels is not None else None,
            "annotations": pairs(annotations, "--annotation") if annotations is not None else None,
        }
        for key, new in given.items():
            if new is not None:
                found[key] = new
                changed.append(key)
        if not changed:
            raise CommandExit(20, "nothing to change: give --name, --namespace, --project, "
                                  "--label or --annotation")  # fmt: skip
        body = {k: v for k, v in found.items() if k in _BODY}
        path, params = selector(value)
        session.current().client().request(
            "PUT", path, params={**params, "updatedFields": ",".join(changed)}, body=body
        )
        print(f"Cluster '{value}' updated.")


_BODY = ("server", "name", "config", "namespaces", "shard", "clusterResources", "project",
         "labels", "annotations")  # fmt: skip

__all__ = ["CLUSTERS", "confirm", "group", "pairs", "selector"]
