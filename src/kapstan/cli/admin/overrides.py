"""``kapstan admin settings resource-overrides health|ignore-differences|list-actions|run-action``:
what Kapstan's engine makes of one object with a given argocd-cm, without a cluster.

Contract (each reads the object from RESOURCE_YAML_PATH and argocd-cm from
``--argocd-cm-path``, or from the cluster with ``--load-cluster-settings``):

- ``health``: ``STATUS: <status>`` and ``MESSAGE: <message>`` from
  :func:`kapstan.engine.health.assess` (pending deletion, the argocd-cm Lua check, the
  built-in rule); ``Health script is not configured for '<group>/<kind>'`` when nothing judges
  the kind;
- ``ignore-differences``: the fields argocd-cm's ``ignoreDifferences`` (JSON pointers and jq
  paths; ``managedFieldsManagers`` needs the live object and is not applied) removes, as a
  unified diff of the object's YAML, or why nothing is removed;
- ``list-actions``: a ``NAME  DISABLED`` table of the actions
  :func:`kapstan.engine.actions.discover` offers (custom Lua discovery and built-ins, where
  ``argocd`` lists only custom ones and says "Actions are not configured" otherwise);
- ``run-action ACTION [--param k=v]``: the fields the action changes (a unified diff) and the
  objects it creates (YAML), from :func:`kapstan.engine.actions.run`.

Invalid settings, scripts or objects exit 20 with one line.
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from kapstan.cli.admin.kubeaccess import DEFAULT_NAMESPACE, KubeconfigOpt, NamespaceOpt
from kapstan.cli.admin.settingsfiles import (
    ArgocdCmPathOpt,
    ArgocdSecretPathOpt,
    LoadClusterOpt,
    load_settings,
    read_manifest,
)
from kapstan.cli.argocd.errors import GENERIC, CommandExit, handled
from kapstan.cli.argocd.output import table
from kapstan.engine import actions
from kapstan.engine.diff import to_yaml
from kapstan.engine.health import assess, group_kind
from kapstan.engine.health.config import HealthConfig, HealthConfigError
from kapstan.engine.ignore import IgnoreConfigError, apply_rules, system_rules
from kapstan.model.keys import ResourceKey

ObjectArg = Annotated[
    Path, typer.Argument(help="The object's YAML file.", metavar="RESOURCE_YAML_PATH")
]


def _load(
    path: Path,
    cm_path: Path | None,
    secret_path: Path | None,
    load_cluster: bool,
    kubeconfig: Path | None,
    namespace: str,
) -> tuple[dict[str, Any], dict[str, str]]:
    obj = read_manifest(path)
    cm, _ = load_settings(cm_path, secret_path, load_cluster, kubeconfig, namespace)
    return obj, cm


def _shown(obj: dict[str, Any]) -> str:
    group, kind = group_kind(obj)
    return f"{group}/{kind}"


def health_text(obj: dict[str, Any], cm: dict[str, str]) -> str:
    """What ``health`` prints for ``obj`` with argocd-cm ``cm``."""
    try:
        config = HealthConfig.from_argocd_cm(cm)
    except HealthConfigError as e:
        raise CommandExit(GENERIC, f"health customizations: {e}") from None
    verdict = assess(obj, config)
    if verdict is None:
        return f"Health script is not configured for '{_shown(obj)}'\n"
    return f"STATUS: {verdict.status.value}\nMESSAGE: {verdict.message}\n"


def _diff(name: str, before: dict[str, Any], after: dict[str, Any]) -> str:
    lines = difflib.unified_diff(
        to_yaml(before).splitlines(keepends=True),
        to_yaml(after).splitlines(keepends=True),
        fromfile=f"{name} (before)",
        tofile=f"{name} (after)",
    )
    return "".join(lines)


def ignore_text(obj: dict[str, Any], cm: dict[str, str]) -> str:
    """What ``ignore-differences`` prints for ``obj`` with argocd-cm ``cm``."""
    try:
        rules = system_rules(cm)
    except IgnoreConfigError as e:
        raise CommandExit(GENERIC, f"ignoreDifferences customizations: {e}") from None
    key = ResourceKey.from_obj(obj)
    matching = [
        replace(r, managed_fields_managers=())
        for r in rules
        if r.matches(key) and (r.json_pointers or r.jq_path_expressions)
    ]
    if not matching:
        return f"Ignore differences are not configured for '{_shown(obj)}'\n"
    result = apply_rules(copy.deepcopy(obj), key, matching, None)
    out = "".join(f"warning: {w}\n" for w in result.warnings)
    if result.obj == obj:
        settings = [
            {
                "jsonPointers": list(r.json_pointers),
                "jqPathExpressions": list(r.jq_path_expressions),
            }
            for r in matching
        ]
        return (
            out
            + "No fields are ignored by ignoreDifferences settings: \n"
            + yaml.safe_dump(settings, sort_keys=False)
        )
    name = str((obj.get("metadata") or {}).get("name") or "")
    return out + "Following fields are ignored:\n\n" + _diff(name, obj, result.obj)


def _actions_config(cm: dict[str, str]) -> actions.ActionsConfig:
    return actions.ActionsConfig.from_argocd_cm(cm)


def list_actions_rows(obj: dict[str, Any], cm: dict[str, str], now: datetime) -> list[list[str]]:
    try:
        found = actions.discover(obj, _actions_config(cm), now)
    except actions.ActionError as e:
        raise CommandExit(GENERIC, str(e)) from None
    return [[a.name, str(a.disabled).lower()] for a in sorted(found, key=lambda a: a.name)]


def run_action_text(
    obj: dict[str, Any], cm: dict[str, str], name: str, params: dict[str, str], now: datetime
) -> str:
    try:
        impacted = actions.run(obj, name, params, _actions_config(cm), now)
    except actions.ActionError as e:
        raise CommandExit(GENERIC, str(e)) from None
    out: list[str] = []
    res_name = str((obj.get("metadata") or {}).get("name") or "")
    for item in impacted:
        if item.operation is actions.Operation.PATCH:
            if item.obj == obj:
                out.append(f"No fields had been changed by action: \n{name}\n")
            else:
                out.append(
                    "Following fields have been changed:\n\n" + _diff(res_name, obj, item.obj)
                )
        else:
            out.append("Following resource was created:\n" + to_yaml(item.obj) + "\n")
    return "".join(out)


def _params(raw: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in raw or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise CommandExit(GENERIC, f"Invalid parameter format: {item}")
        out[name] = value
    return out


def health(
    resource: ObjectArg,
    argocd_cm_path: ArgocdCmPathOpt = None,
    argocd_secret_path: ArgocdSecretPathOpt = None,
    load_cluster_settings: LoadClusterOpt = False,
    kubeconfig: KubeconfigOpt = None,
    namespace: NamespaceOpt = DEFAULT_NAMESPACE,
) -> None:
    """Assess a resource's health with argocd-cm's health customizations (and built-ins)."""
    with handled():
        obj, cm = _load(
            resource,
            argocd_cm_path,
            argocd_secret_path,
            load_cluster_settings,
            kubeconfig,
            namespace,
        )
        print(health_text(obj, cm), end="")


def ignore_differences(
    resource: ObjectArg,
    argocd_cm_path: ArgocdCmPathOpt = None,
    argocd_secret_path: ArgocdSecretPathOpt = None,
    load_cluster_settings: LoadClusterOpt = False,
    kubeconfig: KubeconfigOpt = None,
    namespace: NamespaceOpt = DEFAULT_NAMESPACE,
) -> None:
    """Render the fields argocd-cm's ignoreDifferences exclude from diffing."""
    with handled():
        obj, cm = _load(
            resource,
            argocd_cm_path,
            argocd_secret_path,
            load_cluster_settings,
            kubeconfig,
            namespace,
        )
        print(ignore_text(obj, cm), end="")


def list_actions(
    resource: ObjectArg,
    argocd_cm_path: ArgocdCmPathOpt = None,
    argocd_secret_path: ArgocdSecretPathOpt = None,
    load_cluster_settings: LoadClusterOpt = False,
    kubeconfig: KubeconfigOpt = None,
    namespace: NamespaceOpt = DEFAULT_NAMESPACE,
) -> None:
    """List the actions available for a resource (argocd-cm's Lua and the built-ins)."""
    with handled():
        obj, cm = _load(
            resource,
            argocd_cm_path,
            argocd_secret_path,
            load_cluster_settings,
            kubeconfig,
            namespace,
        )
        table(["NAME", "DISABLED"], list_actions_rows(obj, cm, datetime.now(UTC)))


def run_action(
    resource: ObjectArg,
    action: Annotated[
        str, typer.Argument(help="The action's name, e.g. restart.", metavar="ACTION")
    ],
    param: Annotated[
        list[str] | None, typer.Option("--param", help="Action parameter key=value (repeat).")
    ] = None,
    argocd_cm_path: ArgocdCmPathOpt = None,
    argocd_secret_path: ArgocdSecretPathOpt = None,
    load_cluster_settings: LoadClusterOpt = False,
    kubeconfig: KubeconfigOpt = None,
    namespace: NamespaceOpt = DEFAULT_NAMESPACE,
) -> None:
    """Run a resource action on the file's object and print what it changes or creates."""
    with handled():
        params = _params(param)
        obj, cm = _load(
            resource,
            argocd_cm_path,
            argocd_secret_path,
            load_cluster_settings,
            kubeconfig,
            namespace,
        )
        print(run_action_text(obj, cm, action, params, datetime.now(UTC)), end="")


def register(settings: typer.Typer) -> None:
    group = typer.Typer(no_args_is_help=True, help="Troubleshoot resource overrides.")
    group.command("health")(health)
    group.command("ignore-differences")(ignore_differences)
    group.command("list-actions")(list_actions)
    group.command("run-action")(run_action)
    group.command("action", hidden=True)(run_action)
    settings.add_typer(group, name="resource-overrides")


__all__ = ["health_text", "ignore_text", "list_actions_rows", "register", "run_action_text"]
