"""How each webhook provider is set up: the URL it posts to, the ``argocd-secret`` key(s) that
verify it, where a user configures it, and whether Kapstan may generate its secret (for
``kapstan admin webhook``; docs/webhooks.md says the same in prose).

Contract of :func:`hook_url`: the webhook URL for the server's external ``url`` (argocd-cm):
``<url>/api/webhook``, plus the provider's query (Docker Hub, Quay: ``?type=...&secret=``
with a placeholder, never the secret itself). :data:`SETUPS` lists every provider once, in
:class:`~kapstan.services.webhooks.detect.Provider` order; a provider whose secret the Git host
or registry assigns (Bitbucket Cloud's hook UUID) or that needs a user name (Azure DevOps) is
not ``generatable``.
"""

from __future__ import annotations

from dataclasses import dataclass

from kapstan.services.webhooks.detect import Provider
from kapstan.services.webhooks.signatures import SecretKey

WEBHOOK_PATH = "/api/webhook"


@dataclass(frozen=True)
class Setup:
    provider: Provider
    title: str
    keys: tuple[SecretKey, ...]
    where: str  # where the user configures the hook, and what to enter
    query: str = ""  # the URL's query, with <placeholders>
    generatable: bool = True


SETUPS: tuple[Setup, ...] = (
    Setup(
        Provider.AZURE_DEVOPS,
        "Azure DevOps",
        (SecretKey.AZURE_USERNAME, SecretKey.AZURE_PASSWORD),
        "Project settings > Service hooks > Web Hooks, event 'Code pushed': URL, basic "
        "authentication user name and password (both keys)",
        generatable=False,
    ),
    Setup(
        Provider.GOGS,
        "Gitea / Gogs",
        (SecretKey.GOGS,),
        "Repository Settings > Webhooks > Add > Gitea (or Gogs): URL, content type "
        "application/json, Secret, trigger 'Push events'",
    ),
    Setup(
        Provider.GITHUB,
        "GitHub (and GHCR)",
        (SecretKey.GITHUB,),
        "Settings > Webhooks > Add webhook: Payload URL, content type application/json, "
        "Secret; events 'push' (Git) and 'Packages' (GHCR charts)",
    ),
    Setup(
        Provider.GITLAB,
        "GitLab",
        (SecretKey.GITLAB,),
        "Settings > Webhooks: URL, Secret token, triggers 'Push events' and 'Tag push events'",
    ),
    Setup(
        Provider.BITBUCKET,
        "Bitbucket Cloud",
        (SecretKey.BITBUCKET_UUID,),
        "Repository settings > Webhooks: URL, trigger 'Repository push'; then copy the "
        "webhook's UUID (Bitbucket assigns it) into the key",
        generatable=False,
    ),
    Setup(
        Provider.BITBUCKET_SERVER,
        "Bitbucket Server / Data Center",
        (SecretKey.BITBUCKET_SERVER,),
        "Repository settings > Webhooks: URL, Secret, event 'Repository: Push'",
    ),
    Setup(
        Provider.HARBOR,
        "Harbor",
        (SecretKey.HARBOR,),
        "Project > Webhooks > New webhook: Endpoint URL, Auth Header = the secret, event "
        "'Artifact pushed' (required: without the key Harbor deliveries are refused)",
    ),
    Setup(
        Provider.DOCKERHUB,
        "Docker Hub",
        (SecretKey.DOCKERHUB,),
        "Repository > Webhooks: Webhook URL as shown, the secret in its query "
        "(required: without the key Docker Hub deliveries are refused)",
        query="?type=dockerhub&secret=<webhook.dockerhub.secret>",
    ),
    Setup(
        Provider.QUAY,
        "Quay",
        (SecretKey.QUAY,),
        "Repository > Settings > Create Notification: event 'Push to Repository', "
        "'Webhook POST' to the URL as shown (required key)",
        query="?type=quay&secret=<webhook.quay.secret>",
    ),
    Setup(
        Provider.GENERIC,
        "Generic registry push (Kapstan)",
        (SecretKey.REGISTRY,),
        "Your registry or CI: POST JSON {registry, repository, tag, digest} with headers "
        "X-Kapstan-Event: registry.push and X-Kapstan-Signature: sha256=<HMAC-SHA256 of the "
        "body> (required key)",
    ),
)


def hook_url(server_url: str, setup: Setup | None = None) -> str:
    """See the module contract."""
    base = server_url.strip().rstrip("/") + WEBHOOK_PATH
    return base + (setup.query if setup is not None else "")


def setup_of(provider: str) -> Setup | None:
    """The set-up of a provider by its name (``github``, ``dockerhub``, ...; ``ghcr`` is
    GitHub's: the same secret)."""
    name = "github" if provider == Provider.GHCR.value else provider
    return next((s for s in SETUPS if s.provider.value == name), None)


__all__ = ["SETUPS", "WEBHOOK_PATH", "Setup", "hook_url", "setup_of"]
