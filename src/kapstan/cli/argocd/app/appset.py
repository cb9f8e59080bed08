"""``kapstan app set|unset|edit|patch``: changing an application, as ``argocd`` does.

Contract: ``set`` and ``unset`` read the app, change its spec with
:func:`~kapstan.cli.argocd.app.appspec.apply_flags` / ``apply_unset`` and write it with
``PUT /api/v1/applications/<name>/spec`` (``validate``); like ``argocd`` they print nothing
on success (``unset`` with nothing to remove writes nothing). ``edit`` opens the spec as YAML
in ``$VISUAL``/``$EDITOR`` (default ``vi``, run by Click) and writes it back when it changed (``Edit
cancelled, no changes made.`` otherwise). ``patch --patch P --type json|merge`` sends the
patch to ``PATCH /api/v1/applications/<name>`` and prints the patched app as YAML.
"""

from __future__ import annotations

import copy
from enum import StrEnum
from typing import Annotated, Any

import click
import typer
import yaml

from kapstan.cli.argocd import session
from kapstan.cli.argocd.app.appapi import app_path, get_app
from kapstan.cli.argocd.app.appflags import USAGE, AppName, with_spec_flags
from kapstan.cli.argocd.app.appspec import (
    SpecFlags,
    UnsetFlags,
    apply_flags,
    apply_unset,
    nothing_given,
)
from kapstan.cli.argocd.errors import GENERIC, CommandExit, handled
from kapstan.client.http import ApiClient

PositionOpt = Annotated[
    int,
    typer.Option("--source-position", help="The source (from 1) of a multi-source app."),
]
ValidateOpt = Annotated[
    bool, typer.Option("--validate/--no-validate", help="Validate the spec on the server.")
]


def _put_spec(client: ApiClient, name: str, spec: dict[str, Any], validate: bool) -> None:
    client.request("PUT", app_path(name, "spec"), params={"validate": validate}, body=spec)


@with_spec_flags
def set_app(
    name: AppName, validate: ValidateOpt = True, position: PositionOpt = 0, *, spec: SpecFlags
) -> None:
    """Set an application's parameters (source, destination, sync policy, Helm, Kustomize)."""
    with handled():
        client = session.current().client()
        app = get_app(client, name)
        current: dict[str, Any] = copy.deepcopy(app.get("spec") or {})
        if nothing_given(spec):
            raise CommandExit(USAGE, "Please set at least one option to update")
        _put_spec(client, name, apply_flags(current, spec, position), validate)


ListOpt = list[str] | None


def unset(
    name: AppName,
    parameters: Annotated[
        ListOpt, typer.Option("--parameter", "-p", help="Helm parameter (repeat).")
    ] = None,
    values: Annotated[ListOpt, typer.Option("--values", help="Helm values file (repeat).")] = None,
    values_literal: Annotated[
        bool, typer.Option("--values-literal", help="The literal Helm values block.")
    ] = False,
    ignore_missing: Annotated[
        bool, typer.Option("--ignore-missing-value-files", help="Helm's option (to false).")
    ] = False,
    pass_credentials: Annotated[
        bool, typer.Option("--pass-credentials", help="Helm's pass-credentials (to false).")
    ] = False,
    images: Annotated[
        ListOpt, typer.Option("--kustomize-image", help="Kustomize image (repeat).")
    ] = None,
    replicas: Annotated[
        ListOpt, typer.Option("--kustomize-replica", help="Kustomize replica (repeat).")
    ] = None,
    kustomize_version: Annotated[
        bool, typer.Option("--kustomize-version", help="Kustomize version.")
    ] = False,
    kustomize_namespace: Annotated[
        bool, typer.Option("--kustomize-namespace", help="Kustomize namespace.")
    ] = False,
    nameprefix: Annotated[bool, typer.Option("--nameprefix", help="Kustomize prefix.")] = False,
    namesuffix: Annotated[bool, typer.Option("--namesuffix", help="Kustomize suffix.")] = False,
    plugin_envs: Annotated[
        ListOpt, typer.Option("--plugin-env", help="Plugin env entry (repeat).")
    ] = None,
    ref: Annotated[bool, typer.Option("--ref", help="The source's ref.")] = False,
    position: PositionOpt = 0,
) -> None:
    """Unset an application's Helm, Kustomize or plugin parameters."""
    with handled():
        flags = UnsetFlags(
            parameters=parameters or (), values=values or (), values_literal=values_literal,
            ignore_missing_value_files=ignore_missing, pass_credentials=pass_credentials,
            kustomize_images=images or (), kustomize_replicas=replicas or (),
            kustomize_version=kustomize_version, kustomize_namespace=kustomize_namespace,
            nameprefix=nameprefix, namesuffix=namesuffix, plugin_envs=plugin_envs or (), ref=ref,
        )  # fmt: skip
        if nothing_given(flags):
            raise CommandExit(USAGE, "Please name at least one thing to unset")
        client = session.current().client()
        app = get_app(client, name)
        current: dict[str, Any] = copy.deepcopy(app.get("spec") or {})
        if apply_unset(current, flags, position):
            _put_spec(client, name, current, True)


def edit(name: AppName, validate: ValidateOpt = True) -> None:
    """Edit an application's spec in $EDITOR."""
    with handled():
        client = session.current().client()
        app = get_app(client, name)
        before = yaml.safe_dump(app.get("spec") or {}, sort_keys=False)
        try:
            after = click.edit(before, extension=".yaml", require_save=False)
        except click.ClickException as err:
            raise CommandExit(GENERIC, err.format_message()) from None
        after = before if after is None else after
        try:
            spec = yaml.safe_load(after)
        except yaml.YAMLError as err:
            raise CommandExit(GENERIC, f"the edited spec is not YAML: {err}") from None
        if spec == (app.get("spec") or {}):
            print("Edit cancelled, no changes made.")
            return
        if not isinstance(spec, dict):
            raise CommandExit(GENERIC, "the edited spec must be a mapping")
        _put_spec(client, name, spec, validate)


class PatchType(StrEnum):
    JSON = "json"
    MERGE = "merge"


def patch(
    name: AppName,
    patch_text: Annotated[str, typer.Option("--patch", help="The patch (JSON).")],
    patch_type: Annotated[
        PatchType, typer.Option("--type", help="json (RFC 6902) or merge (RFC 7386).")
    ] = PatchType.JSON,
) -> None:
    """Patch an application (a JSON patch or merge patch of the whole object)."""
    with handled():
        client = session.current().client()
        body = {"name": name, "patch": patch_text, "patchType": patch_type.value}
        patched = client.request("PATCH", app_path(name), body=body)
        print(yaml.safe_dump(patched, sort_keys=False).rstrip("\n"))


def register(group: typer.Typer) -> None:
    group.command("set")(set_app)
    group.command("unset")(unset)
    group.command("edit")(edit)
    group.command("patch")(patch)


__all__ = ["edit", "patch", "register", "set_app", "unset"]
