"""``kapstan admin settings rbac can|validate``: test and validate an RBAC policy offline.

Contract:

- the policy comes from ``--policy-file`` (an argocd-rbac-cm manifest, whose ``policy.csv``,
  ``policy.<name>.csv``, ``policy.default`` and ``policy.matchMode`` count; anything else is
  read as the CSV itself), else from ConfigMap argocd-rbac-cm of ``--namespace`` in the
  cluster; it is parsed by :meth:`kapstan.engine.rbac.Policy.from_configmap`, so Kapstan's
  server and this command never disagree;
- ``can SUBJECT ACTION RESOURCE [OBJECT]`` prints ``Yes`` (exit 0) or ``No`` (exit 1), nothing
  with ``--quiet``. RESOURCE may be a short form (``app``, ``proj``, ``repo``, ``cert``…);
  with ``--strict`` (default) an unknown resource, or an action that resource does not have,
  is an error; a project-scoped resource with no OBJECT (or ``*``) is asked about ``*/*``.
  ``--default-role`` replaces the policy's ``policy.default``; ``--no-use-builtin-policy``
  leaves out ``role:readonly``/``role:admin``;
- ``validate`` prints ``Policy is valid.`` (exit 0) or ``Policy is invalid: <why>`` (exit 1);
  what the policy says but cannot mean (Kapstan's warnings) goes to standard error.
- Errors (unreadable file, invalid policy for ``can``, strict check) exit 1, as ``argocd``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated

import typer
import yaml

from kapstan.cli.admin.kubeaccess import DEFAULT_NAMESPACE, KubeconfigOpt, NamespaceOpt, run_kube
from kapstan.cli.admin.settingsfiles import configmap_data
from kapstan.cli.argocd.errors import CommandExit, handled
from kapstan.cli.common import err
from kapstan.engine.rbac import BUILTIN_LINKS, BUILTIN_RULES, Enforcer, Policy, RBACConfigError
from kapstan.engine.rbac import vocabulary as v
from kapstan.kube.client import KubeClient
from kapstan.model.vocabulary import ARGOCD_RBAC_CM, configmaps_path

FAILED = 1  # argocd's log.Fatal, and "No"

# Short forms argocd accepts for resources.
RESOURCE_ALIASES: Mapping[str, str] = {
    "account": v.RESOURCE_ACCOUNTS,
    "app": v.RESOURCE_APPLICATIONS,
    "apps": v.RESOURCE_APPLICATIONS,
    "application": v.RESOURCE_APPLICATIONS,
    "applicationsets": v.RESOURCE_APPLICATIONSETS,
    "cert": v.RESOURCE_CERTIFICATES,
    "certs": v.RESOURCE_CERTIFICATES,
    "certificate": v.RESOURCE_CERTIFICATES,
    "cluster": v.RESOURCE_CLUSTERS,
    "extension": v.RESOURCE_EXTENSIONS,
    "gpgkey": v.RESOURCE_GPGKEYS,
    "key": v.RESOURCE_GPGKEYS,
    "log": v.RESOURCE_LOGS,
    "logs": v.RESOURCE_LOGS,
    "exec": v.RESOURCE_EXEC,
    "proj": v.RESOURCE_PROJECTS,
    "projs": v.RESOURCE_PROJECTS,
    "project": v.RESOURCE_PROJECTS,
    "repo": v.RESOURCE_REPOSITORIES,
    "repos": v.RESOURCE_REPOSITORIES,
    "repository": v.RESOURCE_REPOSITORIES,
}
_CRUD = {
    v.ACTION_CREATE: False,
    v.ACTION_GET: False,
    v.ACTION_UPDATE: False,
    v.ACTION_DELETE: False,
}
_CRD = {v.ACTION_CREATE: False, v.ACTION_GET: False, v.ACTION_DELETE: False}
# resource -> action -> whether ``<action>/<path>`` is allowed (as ``update/*/Pod/ns/name``).
VALID_ACTIONS: Mapping[str, Mapping[str, bool]] = {
    v.RESOURCE_ACCOUNTS: {v.ACTION_CREATE: False, v.ACTION_UPDATE: False},
    v.RESOURCE_APPLICATIONS: {
        v.ACTION_CREATE: False,
        v.ACTION_GET: False,
        v.ACTION_UPDATE: True,
        v.ACTION_DELETE: True,
        v.ACTION_ACTION: True,
        v.ACTION_OVERRIDE: False,
        v.ACTION_SYNC: False,
    },
    v.RESOURCE_APPLICATIONSETS: _CRUD,
    v.RESOURCE_CERTIFICATES: _CRD,
    v.RESOURCE_CLUSTERS: _CRUD,
    v.RESOURCE_EXTENSIONS: {v.ACTION_INVOKE: False},
    v.RESOURCE_GPGKEYS: _CRD,
    v.RESOURCE_LOGS: {v.ACTION_GET: False},
    v.RESOURCE_EXEC: {v.ACTION_CREATE: False},
    v.RESOURCE_PROJECTS: _CRUD,
    v.RESOURCE_REPOSITORIES: _CRUD,
}


class RequestError(ValueError):
    """A question ``--strict`` refuses (unknown resource, or action of another resource)."""


@dataclass(frozen=True)
class Question:
    subject: str
    action: str
    resource: str
    object: str = ""


def policy_data_from_text(text: str) -> dict[str, str]:
    """argocd-rbac-cm ``data`` from a policy file: a ConfigMap manifest, else CSV."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        doc = None
    if isinstance(doc, Mapping) and ("data" in doc or doc.get("kind") == "ConfigMap"):
        return configmap_data(doc)
    return {v.POLICY_CSV_KEY: text}


def build_policy(
    data: Mapping[str, str], *, default_role: str = "", use_builtin: bool = True
) -> Policy:
    """The policy of ``data``; raises :class:`RBACConfigError` when Argo CD would refuse it."""
    policy = Policy.from_configmap(data)
    if default_role:
        policy = replace(policy, default_role=default_role)
    if not use_builtin:
        policy = replace(
            policy,
            rules=policy.rules[len(BUILTIN_RULES) :],
            links=policy.links[len(BUILTIN_LINKS) :],
        )
    return policy


def can(policy: Policy, question: Question, *, strict: bool = True) -> bool:
    """Whether ``question.subject`` may do it (see the module contract)."""
    resource = RESOURCE_ALIASES.get(question.resource, question.resource)
    if strict:
        actions = VALID_ACTIONS.get(resource)
        if actions is None:
            raise RequestError(f"'{resource}' is not a valid resource name")
        verb, _, path = question.action.partition("/")
        if verb not in actions or (path and not actions[verb]):
            raise RequestError(f"'{question.action}' is not a valid action for {resource}")
    obj = question.object
    if resource in v.PROJECT_SCOPED and obj in ("", "*"):
        obj = "*/*"
    return Enforcer(policy).enforce((question.subject,), resource, question.action, obj)


def _policy_data(
    policy_file: Path | None, kubeconfig: Path | None, namespace: str
) -> dict[str, str]:
    if policy_file is not None:
        try:
            return policy_data_from_text(policy_file.read_text(encoding="utf-8"))
        except OSError as e:
            raise CommandExit(FAILED, f"could not read policy file: {e.strerror}") from None

    async def fetch(kube: KubeClient) -> dict[str, str]:
        return configmap_data(await kube.get(configmaps_path(namespace, ARGOCD_RBAC_CM)))

    return run_kube(kubeconfig, fetch)


PolicyFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--policy-file",
        help="The policy: a CSV file or an argocd-rbac-cm manifest (default: argocd-rbac-cm "
        "of --namespace in the cluster).",
    ),
]


def can_command(
    subject: Annotated[
        str,
        typer.Argument(
            help="A role (role:readonly) or a subject (a user).", metavar="ROLE/SUBJECT"
        ),
    ],
    action: Annotated[
        str, typer.Argument(help="get, create, update, delete, sync, action/…", metavar="ACTION")
    ],
    resource: Annotated[
        str, typer.Argument(help="applications (app), projects (proj), …", metavar="RESOURCE")
    ],
    sub_resource: Annotated[
        str, typer.Argument(help="The object, e.g. default/my-app.", metavar="SUB-RESOURCE")
    ] = "",
    policy_file: PolicyFileOpt = None,
    default_role: Annotated[
        str, typer.Option("--default-role", help="Name of the default role to use.")
    ] = "",
    use_builtin: Annotated[
        bool,
        typer.Option(
            "--use-builtin-policy/--no-use-builtin-policy",
            help="Whether to also use the built-in policy.",
        ),
    ] = True,
    strict: Annotated[
        bool,
        typer.Option("--strict/--no-strict", help="Refuse unknown resource and action names."),
    ] = True,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Do not print the result (exit code only).")
    ] = False,
    kubeconfig: KubeconfigOpt = None,
    namespace: NamespaceOpt = DEFAULT_NAMESPACE,
) -> None:
    """Check whether a role or subject has the RBAC permission to do something.

    Prints Yes (exit 0) or No (exit 1).
    """
    with handled():
        data = _policy_data(policy_file, kubeconfig, namespace)
        try:
            policy = build_policy(data, default_role=default_role, use_builtin=use_builtin)
            allowed = can(policy, Question(subject, action, resource, sub_resource), strict=strict)
        except RBACConfigError as e:
            raise CommandExit(FAILED, f"invalid user policy: {e}") from None
        except RequestError as e:
            raise CommandExit(FAILED, f"error in RBAC request: {e}") from None
        if not quiet:
            print("Yes" if allowed else "No")
        if not allowed:
            raise CommandExit(FAILED)


def validate_command(
    policy_file: PolicyFileOpt = None,
    kubeconfig: KubeconfigOpt = None,
    namespace: NamespaceOpt = DEFAULT_NAMESPACE,
) -> None:
    """Validate an RBAC policy (a local file, or argocd-rbac-cm in the cluster)."""
    with handled():
        data = _policy_data(policy_file, kubeconfig, namespace)
        if not any(str(data.get(k) or "").strip() for k in data if k.startswith("policy.")):
            raise CommandExit(FAILED, "Policy is empty or could not be loaded.")
        try:
            policy = Policy.from_configmap(data)
        except RBACConfigError as e:
            print(f"Policy is invalid: {e}")
            raise CommandExit(FAILED) from None
        for warning in policy.warnings:
            err.print(f"warning: {warning}", markup=False, highlight=False)
        print("Policy is valid.")


def register(settings: typer.Typer) -> None:
    rbac = typer.Typer(no_args_is_help=True, help="Validate and test RBAC configuration.")
    rbac.command("can")(can_command)
    rbac.command("validate")(validate_command)
    settings.add_typer(rbac, name="rbac")


__all__ = ["Question", "RequestError", "build_policy", "can", "policy_data_from_text", "register"]
