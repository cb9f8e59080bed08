"""``kapstan admin app generate-spec APPNAME``: the Application ``kapstan app create`` would
send, printed as YAML (default) or JSON instead of sent — Argo CD's ``argocd admin app
generate-spec``. It takes ``app create``'s flags and uses its builder
(:func:`kapstan.cli.argocd.app.appspec.build_application`), so the two never disagree; with
``-f`` it starts from that manifest (one Application)."""

from __future__ import annotations

from typing import Annotated

import typer

from kapstan.cli.argocd.app.appcreate import application_documents
from kapstan.cli.argocd.app.appflags import with_spec_flags
from kapstan.cli.argocd.app.appspec import Metadata, SpecFlags, build_application
from kapstan.cli.argocd.errors import GENERIC, CommandExit, handled
from kapstan.cli.argocd.output import OutputFormat, check_format, emit


@with_spec_flags
def generate_spec(
    name: Annotated[str, typer.Argument(help="The application's name.", metavar="APPNAME")] = "",
    output: Annotated[str, typer.Option("--output", "-o", help="yaml (default) or json.")] = "yaml",
    file: Annotated[
        str,
        typer.Option("--file", "-f", help="Start from this manifest (- for stdin)."),
    ] = "",
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
    """Print the Application that `kapstan app create` would create with these flags."""
    with handled():
        fmt = check_format(output, (OutputFormat.YAML, OutputFormat.JSON))
        bases = application_documents(file) if file else [None]
        if len(bases) != 1:
            raise CommandExit(GENERIC, f"{file}: expected one Application, found {len(bases)}")
        meta = Metadata(name, app_namespace, labels or (), annotations or (), set_finalizer)
        emit(build_application(spec, meta, bases[0]), fmt)


def register(admin: typer.Typer) -> None:
    group = typer.Typer(no_args_is_help=True, help="Application commands that need no server.")
    group.command("generate-spec")(generate_spec)
    admin.add_typer(group, name="app")


__all__ = ["register"]
