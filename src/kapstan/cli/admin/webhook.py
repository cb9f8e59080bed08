"""``kapstan admin webhook``: the exact webhook URL and secret set-up of every provider, for the
server's configured ``url`` (argocd-cm); ``--generate-secret PROVIDER`` writes a new random
secret into that provider's ``argocd-secret`` key.

Contract: reads argocd-cm's ``url`` (missing: a warning on stderr and a placeholder address)
and which ``webhook.*`` keys of argocd-secret are set — it prints whether a key is set, never a
value, also after generating one: the line to read it back with ``kubectl`` is printed instead.
``--generate-secret`` refuses a provider whose secret the provider assigns (Bitbucket Cloud) or
that needs a user name too (Azure DevOps), and a key that is already set unless ``--force``
(replacing it breaks the provider's hook until it is given the new secret); an unknown provider
is a usage error (exit 2); a missing argocd-secret is created, labelled as Argo CD's.
"""

from __future__ import annotations

import base64
import secrets as random
from typing import Annotated, Any

import typer

from kapstan.cli.admin.kubeaccess import DEFAULT_NAMESPACE, KubeconfigOpt, NamespaceOpt, run_kube
from kapstan.cli.argocd.errors import GENERIC, CommandExit, handled
from kapstan.cli.common import err
from kapstan.kube.client import KubeClient
from kapstan.kube.config import ConfigError, secret_value
from kapstan.kube.errors import NotFound
from kapstan.model.vocabulary import ARGOCD_CM, ARGOCD_SECRET, configmaps_path, secrets_path
from kapstan.services.webhooks.setup import SETUPS, Setup, hook_url, setup_of

PLACEHOLDER_URL = "https://<kapstan server address>"
MERGE_PATCH = "application/merge-patch+json"
PROVIDERS = ", ".join(["ghcr", *(s.provider.value for s in SETUPS)])


async def _get(kube: KubeClient, path: str) -> dict[str, Any] | None:
    try:
        return await kube.get(path)
    except NotFound:
        return None


def _is_set(secret: dict[str, Any] | None, key: str) -> bool:
    try:
        return bool(secret and secret_value(secret, key))
    except ConfigError:
        return False


def _read_back(namespace: str, key: str) -> str:
    escaped = key.replace(".", "\\.")
    return (
        f"kubectl -n {namespace} get secret {ARGOCD_SECRET} "
        f"-o jsonpath='{{.data.{escaped}}}' | base64 -d"
    )


def _print_setup(setup: Setup, url: str, secret: dict[str, Any] | None) -> None:
    print(setup.title)
    print(f"  URL:     {hook_url(url, setup)}")
    for key in setup.keys:
        state = "set" if _is_set(secret, key) else "not set"
        print(f"  Secret:  {key} in {ARGOCD_SECRET}: {state}")
    print(f"  Set up:  {setup.where}")


async def _write(kube: KubeClient, namespace: str, key: str, value: str) -> None:
    data = {str(key): base64.b64encode(value.encode()).decode()}
    path = secrets_path(namespace, ARGOCD_SECRET)
    if await _get(kube, path) is None:
        body = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": ARGOCD_SECRET,
                "namespace": namespace,
                "labels": {"app.kubernetes.io/part-of": "argocd"},
            },
            "type": "Opaque",
            "data": data,
        }
        await kube.request("POST", secrets_path(namespace), None, body)
        return
    await kube.request("PATCH", path, None, {"data": data}, MERGE_PATCH)


def webhook(
    kubeconfig: KubeconfigOpt = None,
    namespace: NamespaceOpt = DEFAULT_NAMESPACE,
    generate_secret: Annotated[
        str | None,
        typer.Option(
            "--generate-secret",
            metavar="PROVIDER",
            help=f"Write a new random secret into PROVIDER's argocd-secret key ({PROVIDERS}).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="With --generate-secret: replace a key already set.")
    ] = False,
) -> None:
    """Print the webhook URL and the secret set-up of every Git host and registry."""
    chosen = setup_of(generate_secret) if generate_secret is not None else None
    if generate_secret is not None and chosen is None:
        raise typer.BadParameter(
            f"unknown provider {generate_secret!r}; one of: {PROVIDERS}",
            param_hint="--generate-secret",
        )
    with handled():

        async def body(kube: KubeClient) -> tuple[str, dict[str, Any] | None, str]:
            cm = await _get(kube, configmaps_path(namespace, ARGOCD_CM)) or {}
            url = str((cm.get("data") or {}).get("url") or "").strip()
            secret = await _get(kube, secrets_path(namespace, ARGOCD_SECRET))
            written = ""
            if chosen is not None:
                if not chosen.generatable:
                    raise CommandExit(
                        GENERIC,
                        f"{chosen.title}: {', '.join(chosen.keys)} cannot be generated "
                        f"({chosen.where})",
                    )
                key = chosen.keys[0]
                if _is_set(secret, key) and not force:
                    raise CommandExit(
                        GENERIC,
                        f"{key} is already set in {ARGOCD_SECRET}; --force replaces it (then "
                        "give the provider's hook the new secret)",
                    )
                await _write(kube, namespace, key, random.token_urlsafe(32))
                secret = await _get(kube, secrets_path(namespace, ARGOCD_SECRET))
                written = key
            return url, secret, written

        url, secret, written = run_kube(kubeconfig, body)
    if not url:
        err.print(
            f"warning: argocd-cm in namespace {namespace} has no url; set it to the address "
            "Git hosts and registries reach (e.g. https://cd.example.com)",
            highlight=False,
            soft_wrap=True,
        )
        url = PLACEHOLDER_URL
    if chosen is not None:
        print(f"Wrote a new random secret to {written} of {ARGOCD_SECRET} (namespace {namespace}).")
        print(f"Read it, to give it to the provider: {_read_back(namespace, written)}")
        print()
        _print_setup(chosen, url, secret)
        return
    print(f"Webhook URL: {hook_url(url)}")
    print("(Unauthenticated; each provider's secret in argocd-secret is the proof of origin.)")
    for setup in SETUPS:
        print()
        _print_setup(setup, url, secret)


def register(group: typer.Typer) -> None:
    group.command("webhook")(webhook)


__all__ = ["register", "webhook"]
