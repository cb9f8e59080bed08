"""``kapstan cluster add CONTEXT``, as ``argocd cluster add`` does it.

Contract: with the user's kubeconfig (``--kubeconfig``, else ``$KUBECONFIG``, else
``~/.kube/config``) and its context CONTEXT, the command creates in that cluster the
ServiceAccount ``argocd-manager`` in ``--system-namespace`` (``kube-system``), the
ClusterRole ``argocd-manager-role`` (every verb on every resource and non-resource URL) and
the ClusterRoleBinding ``argocd-manager-role-binding`` -- or, with ``--namespace`` (repeat),
a Role and RoleBinding of those names in each namespace (every verb on every resource) -- and
the Secret ``argocd-manager-long-lived-token`` (``kubernetes.io/service-account-token``);
existing ones are updated, an existing token Secret is reused. It waits for Kubernetes to put
the token into the Secret, then registers the cluster (``POST /api/v1/clusters``, ``upsert``
with ``--upsert``) with ``config.bearerToken``, ``tlsClientConfig.caData`` and ``insecure``
from the kubeconfig; ``--in-cluster`` registers ``https://kubernetes.default.svc``. It asks
first unless ``-y``. Without CONTEXT it lists the kubeconfig's contexts. The token is never
printed.

This is the one client command that talks to Kubernetes itself (argocd's does too: the
manager account must exist before the API server can use it); the import contract allows
:mod:`kapstan.kube` here only.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from kapstan.cli.argocd import session
from kapstan.cli.argocd.cluster import CLUSTERS, confirm, pairs
from kapstan.cli.argocd.errors import CommandExit, handled
from kapstan.cli.argocd.output import table
from kapstan.kube.client import KubeClient
from kapstan.kube.config import ClusterConfig, ConfigError, default_kubeconfig_path
from kapstan.kube.config import load_kubeconfig as load_context
from kapstan.kube.errors import Conflict, KubeError
from kapstan.model.vocabulary import IN_CLUSTER_URL

SERVICE_ACCOUNT = "argocd-manager"
ROLE = "argocd-manager-role"
BINDING = "argocd-manager-role-binding"
TOKEN_SECRET = SERVICE_ACCOUNT + "-long-lived-token"
RBAC = "rbac.authorization.k8s.io"
ALL = {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}
CLUSTER_RULES = [ALL, {"nonResourceURLs": ["*"], "verbs": ["*"]}]
NAMESPACE_RULES = [ALL]
TOKEN_WAIT = 30.0

# How the command reaches the target cluster (tests put an in-memory one here).
connect: Callable[[ClusterConfig], KubeClient] = KubeClient


def info(message: str) -> None:
    print(f"INFO {message}")


async def _upsert(kube: KubeClient, path: str, obj: dict[str, Any], what: str) -> None:
    name = obj["metadata"]["name"]
    try:
        await kube.request("POST", path, None, obj)
        info(f"{what} {name!r} created")
    except Conflict:
        await kube.request("PUT", f"{path}/{name}", None, obj)
        info(f"{what} {name!r} updated")


def _subject(system_ns: str) -> dict[str, str]:
    return {"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": system_ns}


async def install_manager(
    kube: KubeClient, system_ns: str, namespaces: list[str], timeout: float = TOKEN_WAIT
) -> str:
    """The manager account, its rights and its token (see the module contract)."""
    sa = {"apiVersion": "v1", "kind": "ServiceAccount",
          "metadata": {"name": SERVICE_ACCOUNT, "namespace": system_ns}}  # fmt: skip
    try:
        await kube.request("POST", f"/api/v1/namespaces/{system_ns}/serviceaccounts", None, sa)
        info(f"ServiceAccount {SERVICE_ACCOUNT!r} created in namespace {system_ns!r}")
    except Conflict:
        info(f"ServiceAccount {SERVICE_ACCOUNT!r} already exists in namespace {system_ns!r}")
    ref = {"apiGroup": RBAC, "name": ROLE}
    if not namespaces:
        await _upsert(
            kube,
            f"/apis/{RBAC}/v1/clusterroles",
            {
                "apiVersion": f"{RBAC}/v1",
                "kind": "ClusterRole",
                "metadata": {"name": ROLE},
                "rules": CLUSTER_RULES,
            },
            "ClusterRole",
        )
        await _upsert(kube, f"/apis/{RBAC}/v1/clusterrolebindings",
                      {"apiVersion": f"{RBAC}/v1", "kind": "ClusterRoleBinding",
                       "metadata": {"name": BINDING}, "roleRef": {**ref, "kind": "ClusterRole"},
                       "subjects": [_subject(system_ns)]}, "ClusterRoleBinding")  # fmt: skip
    for ns in namespaces:
        base = f"/apis/{RBAC}/v1/namespaces/{ns}"
        await _upsert(
            kube,
            f"{base}/roles",
            {
                "apiVersion": f"{RBAC}/v1",
                "kind": "Role",
                "metadata": {"name": ROLE, "namespace": ns},
                "rules": NAMESPACE_RULES,
            },
            "Role",
        )
        await _upsert(kube, f"{base}/rolebindings",
                      {"apiVersion": f"{RBAC}/v1", "kind": "RoleBinding",
                       "metadata": {"name": BINDING, "namespace": ns},
                       "roleRef": {**ref, "kind": "Role"}, "subjects": [_subject(system_ns)]},
                      "RoleBinding")  # fmt: skip
    return await _token(kube, system_ns, timeout)


async def _token(kube: KubeClient, system_ns: str, timeout: float) -> str:
    secrets = f"/api/v1/namespaces/{system_ns}/secrets"
    secret = {
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
        "metadata": {"name": TOKEN_SECRET, "namespace": system_ns,
                     "annotations": {"kubernetes.io/service-account.name": SERVICE_ACCOUNT}},
    }  # fmt: skip
    try:
        await kube.request("POST", secrets, None, secret)
        info(f"Created bearer token secret {TOKEN_SECRET!r} for ServiceAccount {SERVICE_ACCOUNT!r}")
    except Conflict:
        info(f"Using existing bearer token secret {TOKEN_SECRET!r}")
    deadline = time.monotonic() + timeout
    while True:
        found = await kube.get(f"{secrets}/{TOKEN_SECRET}")
        encoded = (found.get("data") or {}).get("token")
        if encoded:
            return base64.b64decode(encoded).decode()
        if time.monotonic() > deadline:
            raise CommandExit(
                20, f"no token in secret {system_ns}/{TOKEN_SECRET} after {timeout:.0f}s"
            )
        await asyncio.sleep(0.5)


async def _install(config: ClusterConfig, system_ns: str, namespaces: list[str]) -> str:
    kube = connect(config)
    try:
        return await install_manager(kube, system_ns, namespaces)
    except KubeError as err:
        raise CommandExit(20, f"cluster {config.name}: {err}") from None
    finally:
        await kube.aclose()


def _list_contexts(path: Path) -> None:
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as err:
        raise CommandExit(20, f"cannot read kubeconfig {path}: {err}") from None
    current = doc.get("current-context", "")
    rows = [
        ("*" if c.get("name") == current else "", c.get("name", ""),
         (c.get("context") or {}).get("cluster", ""))
        for c in doc.get("contexts") or []
    ]  # fmt: skip
    table(("CURRENT", "NAME", "CLUSTER"), rows)


def add(
    context: Annotated[str, typer.Argument(help="kubeconfig context of the cluster.")] = "",
    kubeconfig: Annotated[Path | None, typer.Option("--kubeconfig", help="kubeconfig.")] = None,
    name: Annotated[str, typer.Option("--name", help="Name (default: CONTEXT).")] = "",
    namespaces: Annotated[
        list[str] | None,
        typer.Option("--namespace", help="Manage only these namespaces (repeat)."),
    ] = None,
    cluster_resources: Annotated[
        bool, typer.Option("--cluster-resources", help="With --namespace: cluster resources too.")
    ] = False,
    project: Annotated[str, typer.Option("--project", help="Scope to a project.")] = "",
    in_cluster: Annotated[
        bool, typer.Option("--in-cluster", help=f"Register {IN_CLUSTER_URL} as the server.")
    ] = False,
    system_namespace: Annotated[
        str, typer.Option("--system-namespace", help="Namespace of the manager account.")
    ] = "kube-system",
    labels: Annotated[list[str] | None, typer.Option("--label", help="key=value.")] = None,
    annotations: Annotated[
        list[str] | None, typer.Option("--annotation", help="key=value.")
    ] = None,
    upsert: Annotated[bool, typer.Option("--upsert", help="Replace a different one.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Install the argocd-manager account in a cluster and register the cluster."""
    with handled():
        path = kubeconfig or default_kubeconfig_path()
        if not context:
            _list_contexts(path)
            return
        try:
            config = load_context(path, context)
        except ConfigError as err:
            raise CommandExit(20, str(err)) from None
        spaces = [n for raw in namespaces or [] for n in raw.split(",") if n]
        scope = "namespace level" if spaces else "full cluster level"
        question = (
            f"WARNING: This will create a service account `{SERVICE_ACCOUNT}` on the cluster "
            f"referenced by context `{context}` with {scope} privileges. Do you want to continue"
        )
        if not confirm(question, yes):
            raise CommandExit(1, "cancelled")
        token = asyncio.run(_install(config, system_namespace, spaces))
        tls: dict[str, Any] = {"insecure": config.insecure}
        if config.ca_data and not config.insecure:
            tls["caData"] = base64.b64encode(config.ca_data).decode()
        if config.tls_server_name:
            tls["serverName"] = config.tls_server_name
        server = IN_CLUSTER_URL if in_cluster else config.server
        body: dict[str, Any] = {
            "server": server,
            "name": name or context,
            "config": {"bearerToken": token, "tlsClientConfig": tls},
            "namespaces": spaces,
            "clusterResources": cluster_resources,
            "project": project,
            "labels": pairs(labels, "--label"),
            "annotations": pairs(annotations, "--annotation"),
        }
        session.current().client().request(
            "POST", CLUSTERS, params={"upsert": "true"} if upsert else None, body=body
        )
        print(f"Cluster '{server}' added")


def register(group: typer.Typer) -> None:
    group.command("add")(add)


__all__ = ["BINDING", "ROLE", "SERVICE_ACCOUNT", "TOKEN_SECRET", "install_manager", "register"]
