"""Flags shared by the ``app`` commands: one definition each.

Contract: :func:`with_spec_flags` adds the spec options of ``app create``/``app set``
(:class:`~kapstan.cli.argocd.app.appspec.SpecFlags`) to a command and passes them to it as
one ``spec`` keyword; :class:`ResourceFilter` and :func:`with_resource_filter` do the same
for ``--group/--kind/--resource-name/--namespace`` of the resource commands. The other
``Annotated`` aliases are plain Typer options.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from kapstan.cli.argocd.app.appspecflags import SpecFlagError, SpecFlags
from kapstan.cli.argocd.errors import handled

F = TypeVar("F", bound=Callable[..., None])
USAGE = 1  # argocd's exit code when a command is given nothing to do

AppName = Annotated[str, typer.Argument(help="The application's name.", metavar="APPNAME")]
OutputOpt = Annotated[str, typer.Option("--output", "-o", help="Output format.")]
ProjectOpt = Annotated[
    str, typer.Option("--project", help="The app's project (Argo CD's lookup scope).")
]

_SPEC_OPTIONS: dict[str, tuple[Any, Any]] = {
    "repo": (str, typer.Option("--repo", help="Repository URL.")),
    "path": (str, typer.Option("--path", help="Path in the repository of the app directory.")),
    "revision": (str, typer.Option("--revision", help="The tracked git commit, tag or branch.")),
    "helm_chart": (str, typer.Option("--helm-chart", help="Helm chart name.")),
    "dest_server": (str, typer.Option("--dest-server", help="Destination cluster URL.")),
    "dest_name": (str, typer.Option("--dest-name", help="Destination cluster name.")),
    "dest_namespace": (str, typer.Option("--dest-namespace", help="Destination namespace.")),
    "project": (str, typer.Option("--project", help="Application project name.")),
    "sync_policy": (
        str,
        typer.Option("--sync-policy", help="automated (auto, automatic) or none (manual)."),
    ),
    "auto_prune": (
        bool | None,
        typer.Option("--auto-prune/--no-auto-prune", help="Prune when syncing automatically."),
    ),
    "self_heal": (
        bool | None,
        typer.Option("--self-heal/--no-self-heal", help="Sync again when the live state drifts."),
    ),
    "allow_empty": (
        bool | None,
        typer.Option("--allow-empty/--no-allow-empty", help="Allow syncing to no resources."),
    ),
    "sync_options": (
        list[str],
        typer.Option("--sync-option", help="A sync option, e.g. CreateNamespace=true (repeat)."),
    ),
    "helm_set": (list[str], typer.Option("--helm-set", help="Helm parameter key=value (repeat).")),
    "helm_set_string": (
        list[str],
        typer.Option("--helm-set-string", help="Helm string parameter key=value (repeat)."),
    ),
    "values": (list[str], typer.Option("--values", help="Helm values file (repeat).")),
    "release_name": (str, typer.Option("--release-name", help="Helm release name.")),
    "kustomize_images": (
        list[str],
        typer.Option("--kustomize-image", help="Kustomize image override (repeat)."),
    ),
    "nameprefix": (str | None, typer.Option("--nameprefix", help="Kustomize name prefix.")),
    "namesuffix": (str | None, typer.Option("--namesuffix", help="Kustomize name suffix.")),
    "directory_recurse": (
        bool | None,
        typer.Option("--directory-recurse/--no-directory-recurse", help="Recurse directories."),
    ),
    "ref": (str, typer.Option("--ref", help="This source's name for other sources to refer to.")),
    "revision_history_limit": (
        int | None,
        typer.Option("--revision-history-limit", help="History entries kept (default 10)."),
    ),
    "sync_retry_limit": (
        int | None,
        typer.Option("--sync-retry-limit", help="Max sync retries (0 removes the retry)."),
    ),
    "sync_retry_backoff_duration": (
        str,
        typer.Option("--sync-retry-backoff-duration", help="Retry base duration (default 5s)."),
    ),
    "sync_retry_backoff_max_duration": (
        str,
        typer.Option("--sync-retry-backoff-max-duration", help="Max duration (default 3m0s)."),
    ),
    "sync_retry_backoff_factor": (
        int | None,
        typer.Option("--sync-retry-backoff-factor", help="Backoff factor (default 2)."),
    ),
    "helm_set_file": (
        list[str],
        typer.Option("--helm-set-file", help="Helm file parameter key=path (repeat)."),
    ),
    "values_literal": (
        str,
        typer.Option("--values-literal-file", help="A file to use as literal Helm values."),
    ),
    "ignore_missing_value_files": (
        bool | None,
        typer.Option("--ignore-missing-value-files", help="Ignore missing Helm value files."),
    ),
    "helm_namespace": (str, typer.Option("--helm-namespace", help="Helm's namespace.")),
    "helm_skip_crds": (
        bool | None,
        typer.Option("--helm-skip-crds", help="Skip Helm's CRD installation."),
    ),
    "helm_pass_credentials": (
        bool | None,
        typer.Option("--helm-pass-credentials", help="Pass credentials to all domains."),
    ),
    "kustomize_replicas": (
        list[str],
        typer.Option("--kustomize-replica", help="Kustomize replicas name=count (repeat)."),
    ),
    "kustomize_namespace": (str, typer.Option("--kustomize-namespace", help="Its namespace.")),
    "kustomize_version": (str, typer.Option("--kustomize-version", help="Kustomize version.")),
    "directory_include": (str, typer.Option("--directory-include", help="Files to include.")),
    "directory_exclude": (str, typer.Option("--directory-exclude", help="Files to exclude.")),
    "config_management_plugin": (
        str,
        typer.Option("--config-management-plugin", help="Config management plugin name."),
    ),
    "plugin_envs": (
        list[str],
        typer.Option("--plugin-env", help="Plugin env entry NAME=value (repeat)."),
    ),
}
_DEFAULTS = {f.name: f.default for f in fields(SpecFlags)}


def _extend(func: Callable[..., None], extra: dict[str, tuple[Any, Any]], build: Any, key: str,
            defaults: dict[str, Any]) -> Callable[..., None]:  # fmt: skip
    signature = inspect.signature(func, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != key]
    added = [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[kind, option],
            default=[] if kind == list[str] else defaults[name],
        )
        for name, (kind, option) in extra.items()
    ]

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> None:
        values = {name: kwargs.pop(name) for name in extra}
        with handled():  # a flag the builder refuses is a command error like any other
            built = build(**values)
        func(**kwargs, **{key: built})

    params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + added
    wrapper.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    del wrapper.__wrapped__
    return wrapper


def _spec_flags(**values: Any) -> SpecFlags:
    """The options as :class:`SpecFlags`; ``--values-literal-file`` is read here."""
    literal = str(values.pop("values_literal") or "")
    if literal:
        try:
            values["values_literal"] = Path(literal).read_text()
        except OSError as err:
            raise SpecFlagError(f"--values-literal-file {literal}: {err.strerror}") from None
    return SpecFlags(**values)


def with_spec_flags(func: F) -> F:
    """Add the spec options; the command receives them as ``spec: SpecFlags``."""
    return _extend(func, _SPEC_OPTIONS, _spec_flags, "spec", _DEFAULTS)  # type: ignore[return-value]


@dataclass(frozen=True)
class ResourceFilter:
    """Which of the app's resources a command means (empty fields match anything)."""

    group: str = ""
    kind: str = ""
    name: str = ""
    namespace: str = ""

    def matches(self, node: dict[str, Any]) -> bool:
        return all(
            not wanted or str(node.get(key) or "") == wanted
            for key, wanted in (
                ("group", self.group),
                ("kind", self.kind),
                ("name", self.name),
                ("namespace", self.namespace),
            )
        )

    def describe(self) -> str:
        what = "/".join(p for p in (self.group, self.kind) if p) or "resource"
        where = f" in namespace {self.namespace}" if self.namespace else ""
        return f"{what} {self.name!r}{where}" if self.name else f"{what}{where}"


def _filter_options(name_flag: str) -> dict[str, tuple[Any, Any]]:
    return {
        "group": (str, typer.Option("--group", help="The resource's API group.")),
        "kind": (str, typer.Option("--kind", help="The resource's kind.")),
        "resource_name": (str, typer.Option(name_flag, help="The resource's name.")),
        "resource_namespace": (str, typer.Option("--namespace", help="The resource's namespace.")),
    }


def _resource_filter(
    group: str, kind: str, resource_name: str, resource_namespace: str
) -> ResourceFilter:
    return ResourceFilter(group, kind, resource_name, resource_namespace)


def with_resource_filter(func: F, name_flag: str = "--resource-name") -> F:
    """Add ``--group/--kind/--resource-name/--namespace`` (``name_flag`` for the name:
    ``app logs`` says ``--name``); the command receives them as ``target``."""
    options = _filter_options(name_flag)
    defaults = {name: "" for name in options}
    return _extend(func, options, _resource_filter, "target", defaults)  # type: ignore[return-value]


__all__ = [
    "USAGE",
    "AppName",
    "OutputOpt",
    "ProjectOpt",
    "ResourceFilter",
    "with_resource_filter",
    "with_spec_flags",
]
