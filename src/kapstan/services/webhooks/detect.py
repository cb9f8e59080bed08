"""Which provider sent a webhook, in Argo CD's order: Azure DevOps, Gogs and Gitea (before
GitHub: they send GitHub's headers too), GitHub (any event but ``package``), GitLab, Bitbucket
Cloud (``X-Hook-UUID``; it also sends ``X-Event-Key``), Bitbucket Server; then the registries:
Harbor (its ``Authorization`` equals ``webhook.harbor.secret``), GHCR (GitHub's ``package``
event), Docker Hub (``?type=dockerhub``, with ``webhook.dockerhub.secret`` set); then Kapstan's
additions: Quay (``?type=quay``, with ``webhook.quay.secret`` set) and the generic form
(``X-Kapstan-Event``). None of them: 400 "Unknown webhook event".

:func:`parse` gives the events a delivery carries: one :class:`Push` for a Git push, one
:class:`RegistryPush` per pushed tag, none for an event that asks for nothing (a ping, a pull).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum

from kapstan.services.webhooks import (
    azure,
    bitbucket,
    dockerhub,
    generic,
    ghcr,
    github,
    gitlab,
    gogs,
    harbor,
    quay,
)
from kapstan.services.webhooks.events import Event, Push, RegistryPush, Rejected

GitParser = Callable[[Mapping[str, str], bytes, Mapping[str, str]], Push | None]
RegistryParser = Callable[
    [Mapping[str, str], Mapping[str, str], bytes, Mapping[str, str]], tuple[RegistryPush, ...]
]
UNKNOWN_EVENT = "Unknown webhook event"


class Provider(StrEnum):
    AZURE_DEVOPS = "azuredevops"
    GOGS = "gogs"
    GITHUB = "github"
    GITLAB = "gitlab"
    BITBUCKET = "bitbucket"
    BITBUCKET_SERVER = "bitbucketserver"
    HARBOR = "harbor"
    GHCR = "ghcr"
    DOCKERHUB = "dockerhub"
    QUAY = "quay"
    GENERIC = "registry"


GIT_PARSERS: Mapping[Provider, GitParser] = {
    Provider.AZURE_DEVOPS: azure.parse,
    Provider.GOGS: gogs.parse,
    Provider.GITHUB: github.parse,
    Provider.GITLAB: gitlab.parse,
    Provider.BITBUCKET: bitbucket.parse_cloud,
    Provider.BITBUCKET_SERVER: bitbucket.parse_server,
}
REGISTRY_PARSERS: Mapping[Provider, RegistryParser] = {
    Provider.HARBOR: harbor.parse,
    Provider.GHCR: ghcr.parse,
    Provider.DOCKERHUB: dockerhub.parse,
    Provider.QUAY: quay.parse,
    Provider.GENERIC: generic.parse,
}


def provider_of(
    headers: Mapping[str, str],
    query: Mapping[str, str] | None = None,
    secrets: Mapping[str, str] | None = None,
) -> Provider:
    """The sender (see the module doc); raises :class:`Rejected` for none."""
    query, secrets = query or {}, secrets or {}
    if headers.get(azure.ACTIVITY_HEADER):
        return Provider.AZURE_DEVOPS
    if gogs.recognises(headers):
        return Provider.GOGS
    if headers.get(github.EVENT_HEADER) and not ghcr.recognises(headers):
        return Provider.GITHUB
    if headers.get(gitlab.EVENT_HEADER):
        return Provider.GITLAB
    if headers.get(bitbucket.UUID_HEADER):
        return Provider.BITBUCKET
    if headers.get(bitbucket.EVENT_HEADER):
        return Provider.BITBUCKET_SERVER
    if harbor.recognises(headers, secrets):
        return Provider.HARBOR
    if ghcr.recognises(headers):
        return Provider.GHCR
    if dockerhub.recognises(query, secrets):
        return Provider.DOCKERHUB
    if quay.recognises(query, secrets):
        return Provider.QUAY
    if generic.recognises(headers):
        return Provider.GENERIC
    raise Rejected(UNKNOWN_EVENT)


def parse(
    provider: Provider,
    headers: Mapping[str, str],
    body: bytes,
    secrets: Mapping[str, str],
    query: Mapping[str, str] | None = None,
) -> tuple[Event, ...]:
    """The events ``body`` carries (see the module doc)."""
    if provider in REGISTRY_PARSERS:
        return REGISTRY_PARSERS[provider](headers, query or {}, body, secrets)
    push = GIT_PARSERS[provider](headers, body, secrets)
    return () if push is None else (push,)


__all__ = [
    "GIT_PARSERS",
    "REGISTRY_PARSERS",
    "UNKNOWN_EVENT",
    "Provider",
    "parse",
    "provider_of",
]
