"""``kapstan app create`` and ``kapstan app delete``, as ``argocd`` has them.

Contract: ``create [APPNAME]`` builds the Application with
:func:`~kapstan.cli.argocd.app.appspec.build_application` from the flags, over each object
of ``-f FILE`` (``-`` is standard input; several YAML documents make several apps) when
given, and posts it to ``/api/v1/applications`` (``upsert``, ``validate``); it prints
``application '<name>' created`` (``updated`` or ``unchanged`` when it existed). ``delete
APPNAME...`` (or ``-l SELECTOR``) asks ``Are you sure…? [y/n]`` for a cascading delete on a
terminal unless ``-y``, refuses without ``-y`` when standard input is not one, deletes with
``cascade``/``propagationPolicy`` (``--wait``: until the app is gone) and prints
``application '<name>' deleted``.
"""

from __future__ import annotations

import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from kapstan.cli.argocd import session
from kapstan.cli.argocd.app.appapi import BASE, app_path
from kapstan.cli.argocd.app.appflags import USAGE, with_spec_flags
from kapstan.cli.argocd.app.appspec import Metadata, SpecFlags, build_application
from kapstan.cli.argocd.errors import GENERIC, CommandExit, handled
from kapstan.client.http import ApiCallError, ApiClient

WAIT_POLL = 1.0  # seconds between reads of ``delete --wait``


class Propagation(StrEnum):
    FOREGROUND = "foreground"
    BACKGROUND = "background"
    ORPHAN = "orphan"


def application_documents(source: str) -> list[dict[str, Any]]:
    """The Application objects of ``-f`` (a file, or ``-`` for standard input)."""
    text = sys.stdin.read() if source == "-" else Path(source).read_text()
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as err:
        raise CommandExit(GENERIC, f"{source}: not YAML: {err}") from None
    if not docs or not all(isinstance(d, dict) for d in docs):
        raise CommandExit(GENERIC, f"{source}: expected one or more Application objects")
    return docs


def _existing(client: ApiClient, name: str) -> dict[str, Any] | None:
    try:
        found = client.get(app_path(name))
    except ApiCallError:
        return None  # absent, or not ours to read: the create answers for it
    return found if isinstance(found, dict) else None


@with_spec_flags
def create(
    name: Annotated[str, typer.Argument(help="The application's name.", metavar="APPNAME")] = "",
    file: Annotated[
        str, typer.Option("--file", "-f", help="Application YAML file (- for stdin).")
    ] = "",
    upsert: Annotated[
        bool, typer.Option("--upsert", help="Overwrite an existing app with a different spec.")
    ] = False,
    validate: Annotated[
        bool, typer.Option("--validate/--no-validate", help="Validate the spec on the server.")
    ] = True,
    labels: Annotated[
        list[str] | None, typer.Option("--label", "-l", help="Label key=value (repeat).")
    ] = None,
    annotations: Annotated[
        list[str] | None, typer.Option("--annotations", help="Annotation key=value (repeat).")
    ] = None,
    set_finalizer: Annotated[
        bool, typer.Option("--set-finalizer", help="Add the cascade-delete finalizer.")
    ] = False,
    app_namespace: Annotated[
        str, typer.Option("--app-namespace", "-N", help="Namespace of the Application.")
    ] = "",
    *,
    spec: SpecFlags,
) -> None:
    """Create an application from flags or from a file."""
    with handled():
        meta = Metadata(name, app_namespace, labels or (), annotations or (), set_finalizer)
        bases: list[dict[str, Any] | None] = list(application_documents(file)) if file else [None]
        if len(bases) > 1 and name:
            raise CommandExit(GENERIC, "APPNAME cannot name several apps of one file")
        client = session.current().client()
        for base in bases:
            app = build_application(spec, meta, base)
            app_name = str(app["metadata"]["name"])
            before = _existing(client, app_name)
            created = client.request(
                "POST", BASE, params={"upsert": upsert, "validate": validate}, body=app
            )
            if before is None:
                action = "created"
            elif (before.get("spec") or {}) == (created.get("spec") or {}):
                action = "unchanged"
            else:
                action = "updated"
            print(f"application '{app_name}' {action}")


def _confirmed(name: str) -> bool:
    if not sys.stdin.isatty():
        raise CommandExit(
            GENERIC, "refusing to delete without --yes: standard input is not a terminal"
        )
    question = f"Are you sure you want to delete '{name}' and all its resources? [y/n] "
    return input(question).strip().lower() in ("y", "yes")


def delete(
    names: Annotated[
        list[str] | None, typer.Argument(help="The applications.", metavar="APPNAME...")
    ] = None,
    cascade: Annotated[
        bool, typer.Option("--cascade/--no-cascade", help="Delete the app's resources too.")
    ] = True,
    propagation: Annotated[
        Propagation | None,
        typer.Option("--propagation-policy", "-p", help="foreground, background or orphan."),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    selector: Annotated[
        str, typer.Option("--selector", "-l", help="Delete the apps matching this selector.")
    ] = "",
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait until the deletion completes.")
    ] = False,
) -> None:
    """Delete applications (and, by default, their resources)."""
    with handled():
        client = session.current().client()
        targets = list(names or [])
        if selector:
            found = client.get(BASE, selector=selector)
            targets += [str(a["metadata"]["name"]) for a in (found or {}).get("items") or []]
        if not targets:
            raise CommandExit(USAGE, "name the applications to delete (or pass --selector)")
        params: dict[str, Any] = {"cascade": cascade}
        if propagation is not None:
            params["propagationPolicy"] = propagation.value
        for name in targets:
            if cascade and not yes and not _confirmed(name):
                print(f"The command to delete '{name}' was cancelled.")
                continue
            client.request("DELETE", app_path(name), params=params)
            if wait:
                _wait_gone(client, name)
            print(f"application '{name}' deleted")


def _wait_gone(client: ApiClient, name: str) -> None:
    """Until the app can no longer be read (its finalizers have run)."""
    while _existing(client, name) is not None:
        time.sleep(WAIT_POLL)


def register(group: typer.Typer) -> None:
    group.command("create")(create)
    group.command("delete")(delete)


__all__ = ["create", "delete", "register"]
