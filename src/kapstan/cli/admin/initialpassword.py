"""``kapstan admin initial-password``: the admin password Kapstan generated on first start.

Contract: prints the ``password`` of Secret ``argocd-initial-admin-secret`` in ``--namespace``
then Argo CD's advice to change it (naming ``kapstan account update-password``); a Secret
without the key prints nothing, as ``argocd`` does; a missing Secret is an error (exit 20).
"""

from __future__ import annotations

import typer

from kapstan.cli.admin.kubeaccess import DEFAULT_NAMESPACE, KubeconfigOpt, NamespaceOpt, run_kube
from kapstan.cli.argocd.errors import handled
from kapstan.kube.client import KubeClient
from kapstan.kube.config import ConfigError, secret_value
from kapstan.model.vocabulary import secrets_path
from kapstan.services.auth.keys import INITIAL_ADMIN_FIELD, INITIAL_ADMIN_SECRET

ADVICE = (
    "\n This password must be only used for first time login. We strongly recommend you "
    "update the password using `kapstan account update-password`."
)


def initial_password(
    kubeconfig: KubeconfigOpt = None, namespace: NamespaceOpt = DEFAULT_NAMESPACE
) -> None:
    """Print the initial password to log in to Kapstan for the first time."""
    with handled():

        async def read(kube: KubeClient) -> str | None:
            secret = await kube.get(secrets_path(namespace, INITIAL_ADMIN_SECRET))
            try:
                return secret_value(secret, INITIAL_ADMIN_FIELD)
            except ConfigError:
                return None

        password = run_kube(kubeconfig, read)
        if password is not None:
            print(password)
            print(ADVICE)


def register(group: typer.Typer) -> None:
    group.command("initial-password")(initial_password)


__all__ = ["ADVICE", "register"]
