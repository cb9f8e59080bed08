"""``kapstan admin settings …``: validate settings and troubleshoot them offline.

Contract of ``validate``: parses argocd-cm and argocd-secret (see
:mod:`~kapstan.cli.admin.settingsfiles` for where they come from) with Kapstan's own parsers
and prints, for each ``--group`` (default: all, sorted), ``✅ <group>`` and a summary, or
``❌ <group>`` and one line per problem, groups separated by a blank line; exits 1 when a
group has a problem (``argocd`` exits 0). Groups:

- ``general``: the controller settings (:meth:`kapstan.services.settings.Settings.from_configmap`),
  authentication settings (:meth:`kapstan.services.auth.config.AuthConfig.parse`), that
  ``dex.config``/``oidc.config`` are YAML mappings; summary: which SSO is configured;
- ``accounts``: local accounts (:meth:`kapstan.services.auth.accounts.Accounts.parse`);
  summary ``<n> accounts``;
- ``kustomize``: summary ``kustomize.buildOptions`` (or ``default options``) and versions;
- ``resource-overrides``: health, ignoreDifferences and actions customizations (the engine's
  parsers); summary ``<n> resource overrides``.

The ``rbac`` and ``resource-overrides`` sub-groups live in :mod:`~kapstan.cli.admin.rbaccmd`
and :mod:`~kapstan.cli.admin.overrides`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated

import typer
import yaml

from kapstan.cli.admin import overrides, rbaccmd
from kapstan.cli.admin.kubeaccess import DEFAULT_NAMESPACE, KubeconfigOpt, NamespaceOpt
from kapstan.cli.admin.settingsfiles import (
    ArgocdCmPathOpt,
    ArgocdSecretPathOpt,
    LoadClusterOpt,
    load_settings,
)
from kapstan.cli.argocd.errors import CommandExit, handled
from kapstan.engine.actions import ActionError, ActionsConfig
from kapstan.engine.health.config import HealthConfig, HealthConfigError, key_from_suffix
from kapstan.engine.ignore import IgnoreConfigError, system_rules
from kapstan.services.auth.accounts import Accounts
from kapstan.services.auth.config import AuthConfig, AuthInputs
from kapstan.services.settings import Settings, SettingsError

CUSTOMIZATIONS = "resource.customizations"
_KINDS_OF_OVERRIDE = ("health", "ignoreDifferences", "ignoreResourceUpdates", "actions",
                      "knownTypeFields", "useOpenLibs")  # fmt: skip

# A validator returns (summary, problems).
Validator = Callable[[Mapping[str, str], Mapping[str, str]], tuple[str, list[str]]]


def _general(cm: Mapping[str, str], secret: Mapping[str, str]) -> tuple[str, list[str]]:
    problems: list[str] = []
    # Customizations are the resource-overrides group's: one problem is reported once.
    general = {k: v for k, v in cm.items() if not k.startswith(CUSTOMIZATIONS)}
    try:
        Settings.from_configmap(general)
    except SettingsError as e:
        problems.append(str(e))
    accounts = set(Accounts.parse(cm, secret).problems)
    auth = AuthConfig.parse(AuthInputs(configmap=cm, secret=secret))
    problems.extend(p for p in auth.problems if p not in accounts)
    provider = ""
    for key, name in (("dex.config", "Dex"), ("oidc.config", "OIDC")):
        raw = cm.get(key, "")
        if not raw.strip() or provider:
            continue
        try:
            parsed = yaml.safe_load(raw)
        except yaml.YAMLError:
            parsed = None
        if not isinstance(parsed, Mapping):
            problems.append(f"invalid {key}: not a YAML mapping")
        provider = name
    if not provider:
        return "SSO is not configured", problems
    missing = "" if cm.get("url", "").strip() else " ('url' field is missing)"
    return f"{provider} is configured{missing}", problems


def _accounts(cm: Mapping[str, str], secret: Mapping[str, str]) -> tuple[str, list[str]]:
    accounts = Accounts.parse(cm, secret)
    return f"{len(accounts.by_name)} accounts", list(accounts.problems)


def _kustomize(cm: Mapping[str, str], _secret: Mapping[str, str]) -> tuple[str, list[str]]:
    summary = cm.get("kustomize.buildOptions", "").strip() or "default options"
    versions = [k for k in cm if k.startswith(("kustomize.version.", "kustomize.path."))]
    if versions:
        summary = f"{summary} ({len(versions)} versions)"
    return summary, []


def override_keys(cm: Mapping[str, str]) -> set[str]:
    """The ``group/Kind`` keys argocd-cm customizes (both forms), unreadable ones left out."""
    keys: set[str] = set()
    try:
        combined = yaml.safe_load(cm.get(CUSTOMIZATIONS) or "") or {}
    except yaml.YAMLError:
        combined = {}
    if isinstance(combined, Mapping):
        keys.update(str(k) for k in combined)
    for name in cm:
        for kind in _KINDS_OF_OVERRIDE:
            prefix = f"{CUSTOMIZATIONS}.{kind}."
            suffix = name.removeprefix(prefix)
            if name.startswith(prefix) and suffix != "all":
                try:
                    keys.add(key_from_suffix(suffix))
                except HealthConfigError:
                    continue
    return keys


def _overrides(cm: Mapping[str, str], _secret: Mapping[str, str]) -> tuple[str, list[str]]:
    problems: list[str] = []
    try:
        yaml.safe_load(cm.get(CUSTOMIZATIONS) or "")
    except yaml.YAMLError:
        problems.append(f"{CUSTOMIZATIONS}: invalid YAML")
    try:
        HealthConfig.from_argocd_cm(cm)
    except HealthConfigError as e:
        problems.append(f"health customizations: {e}")
    try:
        system_rules(cm)
    except IgnoreConfigError as e:
        problems.append(f"ignoreDifferences customizations: {e}")
    config = ActionsConfig.from_argocd_cm(cm)
    for key in sorted(config.raw):
        group, _, kind = key.rpartition("/")
        try:
            config.for_kind(group, kind)
        except ActionError as e:
            problems.append(str(e))
    return f"{len(override_keys(cm))} resource overrides", problems


VALIDATORS: dict[str, Validator] = {
    "accounts": _accounts,
    "general": _general,
    "kustomize": _kustomize,
    "resource-overrides": _overrides,
}


def validation_report(
    cm: Mapping[str, str], secret: Mapping[str, str], groups: list[str]
) -> tuple[str, bool]:
    """The text ``validate`` prints for ``groups`` and whether every group is valid."""
    blocks: list[str] = []
    valid = True
    for group in groups:
        summary, problems = VALIDATORS[group](cm, secret)
        if problems:
            valid = False
            blocks.append("\n".join([f"❌ {group}", *problems]))
        else:
            blocks.append("\n".join([f"✅ {group}", *([summary] if summary else [])]))
    return "\n\n".join(blocks) + "\n", valid


def validate(
    group: Annotated[
        list[str] | None,
        typer.Option(
            "--group",
            help=f"A group to validate (repeat; one of: {', '.join(sorted(VALIDATORS))}).",
        ),
    ] = None,
    argocd_cm_path: ArgocdCmPathOpt = None,
    argocd_secret_path: ArgocdSecretPathOpt = None,
    load_cluster_settings: LoadClusterOpt = False,
    kubeconfig: KubeconfigOpt = None,
    namespace: NamespaceOpt = DEFAULT_NAMESPACE,
) -> None:
    """Validate the settings of the argocd-cm ConfigMap and the argocd-secret Secret."""
    with handled():
        groups = group or sorted(VALIDATORS)
        unknown = [g for g in groups if g not in VALIDATORS]
        if unknown:
            raise CommandExit(
                2, f"unknown group {unknown[0]!r}: use one of {', '.join(sorted(VALIDATORS))}"
            )
        cm, secret = load_settings(
            argocd_cm_path, argocd_secret_path, load_cluster_settings, kubeconfig, namespace
        )
        text, valid = validation_report(cm, secret, groups)
        print(text, end="")
        if not valid:
            raise CommandExit(1)


def register(admin: typer.Typer) -> None:
    settings = typer.Typer(
        no_args_is_help=True, help="Validate settings and troubleshoot them (offline)."
    )
    settings.command("validate")(validate)
    overrides.register(settings)
    rbaccmd.register(settings)
    admin.add_typer(settings, name="settings")


__all__ = ["VALIDATORS", "override_keys", "register", "validation_report"]
