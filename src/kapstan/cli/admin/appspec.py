"""``kapstan admin app generate-spec NAME``: print the Application ``app create`` would make.

Contract: the flags are ``app create``'s (the subset in :class:`kapstan.model.appspec.AppFlags`);
``-f FILE`` starts from an Application manifest, the flags override it; the manifest built by
:func:`kapstan.model.appspec.application_from_flags` is printed as ``-o yaml`` (default) or
``json``. Nothing is sent anywhere. Bad flags exit 2 with Argo CD's message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from kapstan.cli.admin.settingsfiles import read_manifest
from kapstan.cli.argocd.errors import CommandExit, handled
from kapstan.cli.argocd.output import OutputFormat, check_format, emit
from kapstan.model.appspec import AppFlags, AppSpecError, application_from_flags, parse_pairs

Many = list[str] | None


def _opt(name: str, help_text: str, *aliases: str) -> Any:
    """An option without a default of its own (``None``: not given)."""
    return typer.Option(name, *aliases, help=help_text)


def generate_spec(
    name: Annotated[str, typer.Argument(help="The application's name.", metavar="APPNAME")],
    output: Annotated[str, typer.Option("--output", "-o", help="yaml (default) or json.")] = "yaml",
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Start from this Application manifest.")
    ] = None,
    repo: Annotated[str | None, _opt("--repo", "Repository URL.")] = None,
    path: Annotated[
        str | None, _opt("--path", "Path in the repository (not for Helm charts).")
    ] = None,
    helm_chart: Annotated[str | None, _opt("--helm-chart", "Helm chart name.")] = None,
    revision: Annotated[
        str | None, _opt("--revision", "Revision (branch, tag, commit, version).")
    ] = None,
    dest_server: Annotated[str | None, _opt("--dest-server", "Destination cluster URL.")] = None,
    dest_name: Annotated[str | None, _opt("--dest-name", "Destination cluster name.")] = None,
    dest_namespace: Annotated[
        str | None, _opt("--dest-namespace", "Destination namespace.")
    ] = None,
    project: Annotated[str | None, _opt("--project", "Application project name.")] = None,
    app_namespace: Annotated[
        str | None, _opt("--app-namespace", "Namespace of the Application object.", "-N")
    ] = None,
    label: Annotated[Many, _opt("--label", "Label key=value (repeat).", "-l")] = None,
    annotation: Annotated[Many, _opt("--annotations", "Annotation key=value (repeat).")] = None,
    sync_policy: Annotated[str | None, _opt("--sync-policy", "automated or none.")] = None,
    auto_prune: Annotated[bool | None, _opt("--auto-prune", "Prune with automated sync.")] = None,
    self_heal: Annotated[bool | None, _opt("--self-heal", "Self-heal with automated sync.")] = None,
    allow_empty: Annotated[
        bool | None, _opt("--allow-empty", "Allow automated sync of no resources.")
    ] = None,
    sync_option: Annotated[Many, _opt("--sync-option", "Sync option (repeat).")] = None,
    sync_retry_limit: Annotated[int | None, _opt("--sync-retry-limit", "Sync retries.")] = None,
    revision_history_limit: Annotated[
        int | None, _opt("--revision-history-limit", "History entries to keep.")
    ] = None,
    set_finalizer: Annotated[
        bool, typer.Option("--set-finalizer", help="Add the resources finalizer.")
    ] = False,
    values: Annotated[Many, _opt("--values", "Helm values file (repeat).")] = None,
    values_literal_file: Annotated[
        Path | None, _opt("--values-literal-file", "File whose content is the Helm values.")
    ] = None,
    release_name: Annotated[str | None, _opt("--release-name", "Helm release name.")] = None,
    helm_set: Annotated[Many, _opt("--helm-set", "Helm parameter key=value (repeat).")] = None,
    helm_set_string: Annotated[
        Many, _opt("--helm-set-string", "Helm string parameter key=value (repeat).")
    ] = None,
    helm_set_file: Annotated[
        Many, _opt("--helm-set-file", "Helm file parameter key=path (repeat).")
    ] = None,
    helm_skip_crds: Annotated[bool | None, _opt("--helm-skip-crds", "Skip CRDs.")] = None,
    nameprefix: Annotated[str | None, _opt("--nameprefix", "Kustomize name prefix.")] = None,
    namesuffix: Annotated[str | None, _opt("--namesuffix", "Kustomize name suffix.")] = None,
    kustomize_image: Annotated[Many, _opt("--kustomize-image", "Kustomize image (repeat).")] = None,
    kustomize_namespace: Annotated[
        str | None, _opt("--kustomize-namespace", "Kustomize namespace.")
    ] = None,
    kustomize_version: Annotated[
        str | None, _opt("--kustomize-version", "Kustomize version.")
    ] = None,
    kustomize_common_label: Annotated[
        Many, _opt("--kustomize-common-label", "Common label key=value (repeat).")
    ] = None,
    kustomize_common_annotation: Annotated[
        Many, _opt("--kustomize-common-annotation", "Common annotation key=value (repeat).")
    ] = None,
    directory_recurse: Annotated[
        bool | None, _opt("--directory-recurse", "Recurse into directories.")
    ] = None,
    directory_include: Annotated[
        str | None, _opt("--directory-include", "Glob to include.")
    ] = None,
    directory_exclude: Annotated[
        str | None, _opt("--directory-exclude", "Glob to exclude.")
    ] = None,
    config_management_plugin: Annotated[
        str | None, _opt("--config-management-plugin", "Config management plugin name.")
    ] = None,
    plugin_env: Annotated[Many, _opt("--plugin-env", "Plugin env NAME=value (repeat).")] = None,
) -> None:
    """Generate the spec of an application (as `app create` would create it) and print it."""
    with handled():
        fmt = check_format(output, (OutputFormat.JSON, OutputFormat.YAML))
        base = read_manifest(file) if file is not None else None
        try:
            literal = None
            if values_literal_file is not None:
                literal = values_literal_file.read_text(encoding="utf-8")
            flags = AppFlags(
                name=name,
                app_namespace=app_namespace,
                project=project,
                labels=parse_pairs(label or [], "--label"),
                annotations=parse_pairs(annotation or [], "--annotations"),
                repo=repo,
                path=path,
                chart=helm_chart,
                revision=revision,
                dest_server=dest_server,
                dest_name=dest_name,
                dest_namespace=dest_namespace,
                sync_policy=sync_policy,
                auto_prune=auto_prune,
                self_heal=self_heal,
                allow_empty=allow_empty,
                sync_options=tuple(sync_option or ()),
                sync_retry_limit=sync_retry_limit,
                revision_history_limit=revision_history_limit,
                set_finalizer=set_finalizer,
                values=tuple(values or ()),
                values_literal=literal,
                release_name=release_name,
                helm_set=parse_pairs(helm_set or [], "--helm-set"),
                helm_set_string=parse_pairs(helm_set_string or [], "--helm-set-string"),
                helm_set_file=parse_pairs(helm_set_file or [], "--helm-set-file"),
                helm_skip_crds=helm_skip_crds,
                name_prefix=nameprefix,
                name_suffix=namesuffix,
                kustomize_images=tuple(kustomize_image or ()),
                kustomize_namespace=kustomize_namespace,
                kustomize_version=kustomize_version,
                kustomize_common_labels=parse_pairs(
                    kustomize_common_label or [], "--kustomize-common-label"
                ),
                kustomize_common_annotations=parse_pairs(
                    kustomize_common_annotation or [], "--kustomize-common-annotation"
                ),
                directory_recurse=directory_recurse,
                directory_include=directory_include,
                directory_exclude=directory_exclude,
                plugin=config_management_plugin,
                plugin_env=parse_pairs(plugin_env or [], "--plugin-env"),
            )
            emit(application_from_flags(flags, base), fmt)
        except AppSpecError as e:
            raise CommandExit(2, str(e)) from None
        except OSError as e:
            raise CommandExit(2, f"{values_literal_file}: {e.strerror}") from None


def register(admin: typer.Typer) -> None:
    group = typer.Typer(no_args_is_help=True, help="Application commands that need no server.")
    group.command("generate-spec")(generate_spec)
    admin.add_typer(group, name="app")


__all__ = ["register"]
