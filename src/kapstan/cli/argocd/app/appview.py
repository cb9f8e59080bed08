"""``kapstan app get|list|history|manifests``: reading applications, as ``argocd`` prints them.

Contract: ``-o json|yaml`` prints the API's object (``get``), list of items (``list``) or
``status.history`` (``history``) unchanged. ``get`` prints the summary, the conditions, the
operation (``--show-operation``), the Helm parameters (``--show-params``) and the resource
table, or the resource tree (``-o tree``, ``tree=detailed``) from ``/resource-tree``;
``--refresh``/``--hard-refresh`` ask the server to refresh first. ``list`` prints argocd's
columns (``-o name``: one ``<namespace>/<name>`` a line). ``history`` prints ``SOURCE`` then
``ID DATE REVISION`` rows per repository (``-o id``: the IDs). ``manifests`` prints the
target manifests from Git (``--source git``, at ``--revision``) or the live ones (``--source
live``), as YAML documents.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

import typer
import yaml

from kapstan.cli.argocd import session
from kapstan.cli.argocd.app import appprint
from kapstan.cli.argocd.app.appapi import BASE, app_path, get_app, get_tree
from kapstan.cli.argocd.app.appflags import AppName, OutputOpt
from kapstan.cli.argocd.app.drift import DRIFT_HEADERS, drift_rows
from kapstan.cli.argocd.errors import handled
from kapstan.cli.argocd.output import OutputFormat, check_format, emit, table
from kapstan.client.http import ApiCallError, ApiClient
from kapstan.model.application import RefreshType

F = OutputFormat
GET_FORMATS = (F.TEXT, F.WIDE, F.JSON, F.YAML, F.TREE, F.TREE_DETAILED)


def _windows(client: ApiClient, name: str) -> dict[str, Any] | None:
    try:
        found = client.get(app_path(name, "syncwindows"))
    except ApiCallError:
        return None
    return found if isinstance(found, dict) else None


def get(
    name: AppName,
    output: OutputOpt = "",
    refresh: Annotated[bool, typer.Option("--refresh", help="Refresh from Git first.")] = False,
    hard_refresh: Annotated[
        bool, typer.Option("--hard-refresh", help="Refresh, regenerating manifests.")
    ] = False,
    show_operation: Annotated[
        bool, typer.Option("--show-operation", help="Show the last operation.")
    ] = False,
    show_params: Annotated[
        bool, typer.Option("--show-params", help="Show the Helm parameters.")
    ] = False,
    project: Annotated[str, typer.Option("--project", help="The app's project.")] = "",
) -> None:
    """Get an application's details."""
    with handled():
        fmt = check_format(output, GET_FORMATS)
        level = RefreshType.HARD if hard_refresh else RefreshType.NORMAL if refresh else None
        client = session.current().client()
        app = get_app(client, name, refresh=level.value if level else "", project=project)
        if emit(app, fmt):
            return
        url = f"{client.base_url}/applications/{name}"
        appprint.summary(app, url, _windows(client, name))
        appprint.conditions(app)
        if show_operation:
            appprint.operation(app)
        if show_params:
            appprint.params(app)
        if fmt in (F.TREE, F.TREE_DETAILED):
            appprint.tree(app, get_tree(client, name), detailed=fmt is F.TREE_DETAILED)
        else:
            appprint.resources(app)
        if fmt is F.WIDE:
            rows = drift_rows(app)
            if rows:
                print("\nDrift (who changed the cluster behind Git's back):")
                table(DRIFT_HEADERS, rows)


def list_apps(
    output: Annotated[str, typer.Option("--output", "-o", help="wide|name|json|yaml.")] = "",
    projects: Annotated[
        list[str] | None, typer.Option("--project", "-p", help="Only these projects (repeat).")
    ] = None,
    selector: Annotated[str, typer.Option("--selector", "-l", help="Label selector.")] = "",
    repo: Annotated[str, typer.Option("--repo", "-r", help="Only apps of this repo.")] = "",
    app_namespace: Annotated[
        str, typer.Option("--app-namespace", "-N", help="Only apps in this namespace.")
    ] = "",
    cluster: Annotated[
        str, typer.Option("--cluster", "-c", help="Only apps of this cluster.")
    ] = "",
) -> None:
    """List applications."""
    with handled():
        fmt = check_format(output, (F.TEXT, F.WIDE, F.NAME, F.JSON, F.YAML))
        client = session.current().client()
        answer = client.get(BASE, projects=list(projects or []), selector=selector, repo=repo)
        items: list[dict[str, Any]] = list((answer or {}).get("items") or [])
        if app_namespace:
            items = [
                a for a in items if (a.get("metadata") or {}).get("namespace") == app_namespace
            ]
        if cluster:
            items = [a for a in items if cluster in (
                str(((a.get("spec") or {}).get("destination") or {}).get(k) or "")
                for k in ("server", "name"))]  # fmt: skip
        if emit(items, fmt):
            return
        if fmt is F.NAME:
            for app in items:
                print(appprint.qualified_name(app))
            return
        table(appprint.LIST_HEADERS, [appprint.list_row(a) for a in items])


def history(name: AppName, output: OutputOpt = "") -> None:
    """Show an application's deployment history."""
    with handled():
        fmt = check_format(output, (F.TEXT, F.WIDE, F.ID, F.JSON, F.YAML))
        app = get_app(session.current().client(), name)
        entries: list[dict[str, Any]] = list((app.get("status") or {}).get("history") or [])
        if emit(entries, fmt):
            return
        if fmt is F.ID:
            for entry in entries:
                print(entry.get("id"))
            return
        by_repo: dict[str, list[tuple[str, str, str]]] = {}
        for entry in entries:
            pairs = list(
                zip(entry.get("sources") or [], entry.get("revisions") or [], strict=False)
            )
            if not pairs:
                pairs = [(entry.get("source") or {}, str(entry.get("revision") or ""))]
            for source, revision in pairs:
                target = str(source.get("targetRevision") or "")
                shown = f"{target} ({revision[:7]})" if len(revision) >= 7 else target or revision
                row = (str(entry.get("id")), str(entry.get("deployedAt") or ""), shown)
                by_repo.setdefault(str(source.get("repoURL") or ""), []).append(row)
        for i, (repo, rows) in enumerate(by_repo.items()):
            if i:
                print()
            print(f"SOURCE  {repo}")
            table(("ID", "DATE", "REVISION"), rows)


class ManifestSource(StrEnum):
    GIT = "git"
    LIVE = "live"


def manifests(
    name: AppName,
    source: Annotated[
        ManifestSource, typer.Option("--source", help="git (target) or live manifests.")
    ] = ManifestSource.GIT,
    revision: Annotated[str, typer.Option("--revision", help="The revision (git only).")] = "",
) -> None:
    """Print an application's manifests as YAML documents."""
    with handled():
        client = session.current().client()
        texts: list[str]
        if source is ManifestSource.LIVE:
            found = client.get(app_path(name, "managed-resources"))
            texts = [str(i.get("liveState")) for i in (found or {}).get("items") or []
                     if i.get("liveState") not in (None, "", "null")]  # fmt: skip
        else:
            found = client.get(app_path(name, "manifests"), revision=revision)
            texts = [str(m) for m in (found or {}).get("manifests") or []]
        for text in texts:
            print("---")
            print(yaml.safe_dump(json.loads(text), sort_keys=False).rstrip("\n"))


def register(group: typer.Typer) -> None:
    group.command("get")(get)
    group.command("list")(list_apps)
    group.command("history")(history)
    group.command("manifests")(manifests)


__all__ = ["get", "history", "list_apps", "manifests", "register"]
