"""``kapstan app wait``, as ``argocd app wait`` has it.

Contract: ``wait NAME... | -l SELECTOR`` follows each app
(:func:`~kapstan.cli.argocd.app.progress.follow`) until it is ``--sync``-ed, ``--health``-y
(``--suspended``/``--degraded`` also accepted as final health), has no ``--operation`` in
flight, or is gone (``--delete``); with none of these flags it waits for sync, health and
operation, as argocd. ``--resource [!]GROUP:KIND:[NAMESPACE/]NAME`` limits the sync and health
checks to those resources. ``--timeout`` seconds (default 0: forever) then exits 20 with
argocd's message. The final view is the app's block and resource table (``-o json|yaml``: the
app).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from kapstan.cli.argocd import session
from kapstan.cli.argocd.app.appops import FORMATS, OutputOpt, TimeoutOpt, app_names
from kapstan.cli.argocd.app.appops import select_resources as pick
from kapstan.cli.argocd.app.progress import Reporter, Until, follow
from kapstan.cli.argocd.app.summary import finish
from kapstan.cli.argocd.errors import handled
from kapstan.cli.argocd.output import OutputFormat, check_format


def wait(
    names: Annotated[list[str] | None, typer.Argument(help="Applications.")] = None,
    selector: Annotated[str, typer.Option("--selector", "-l", help="Apps by label.")] = "",
    sync: Annotated[bool, typer.Option("--sync", help="Wait for Synced.")] = False,
    health: Annotated[bool, typer.Option("--health", help="Wait for Healthy.")] = False,
    operation: Annotated[
        bool, typer.Option("--operation", help="Wait for no operation in flight.")
    ] = False,
    suspended: Annotated[bool, typer.Option("--suspended", help="Suspended will do.")] = False,
    degraded: Annotated[bool, typer.Option("--degraded", help="Degraded will do.")] = False,
    delete: Annotated[bool, typer.Option("--delete", help="Wait for the app to be gone.")] = False,
    resources: Annotated[
        list[str] | None,
        typer.Option("--resource", help="Only these resources: [!]GROUP:KIND:[NAMESPACE/]NAME."),
    ] = None,
    timeout: TimeoutOpt = 0,
    output: OutputOpt = "",
) -> None:
    """Wait for applications to be synced, healthy and done operating (or what the flags ask)."""
    with handled():
        fmt = check_format(output, FORMATS)
        client = session.current().client()
        if not any((sync, health, operation, suspended, degraded, delete)):
            sync = health = operation = True
        quiet = fmt in (OutputFormat.JSON, OutputFormat.YAML)
        for name in app_names(client, names or [], selector, ""):
            chosen: frozenset[tuple[str, str, str, str]] = frozenset()
            if resources:
                app = client.get(f"/api/v1/applications/{name}")
                found = pick(app, resources, None) or []
                chosen = frozenset(
                    (r["group"], r["kind"], r["namespace"], r["name"]) for r in found
                )
            until = Until(sync, health, operation, suspended, degraded, delete, chosen)
            with Reporter(name, quiet=quiet or delete) as reporter:
                done = follow(client, name, until, timeout=timeout, reporter=reporter)
            if done is None:
                print(f"application '{name}' deleted")
                continue
            if not quiet:
                sys.stdout.write("\n")
            finish(done, fmt, operation=True, server_url=client.base_url, client=client)


def register(group: typer.Typer) -> None:
    group.command()(wait)


__all__ = ["register"]
