"""Which provider sent a webhook, by its headers, in Argo CD's order: Azure DevOps, Gogs and
Gitea (before GitHub: they send GitHub's headers too), GitHub, GitLab, Bitbucket Cloud
(``X-Hook-UUID``; it also sends ``X-Event-Key``), Bitbucket Server. None of them: 400
"Unknown webhook event"."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum

from kapstan.services.webhooks import azure, bitbucket, github, gitlab, gogs
from kapstan.services.webhooks.events import Push, Rejected

Parser = Callable[[Mapping[str, str], bytes, Mapping[str, str]], Push | None]
UNKNOWN_EVENT = "Unknown webhook event"


class Provider(StrEnum):
    AZURE_DEVOPS = "azuredevops"
    GOGS = "gogs"
    GITHUB = "github"
    GITLAB = "gitlab"
    BITBUCKET = "bitbucket"
    BITBUCKET_SERVER = "bitbucketserver"


PARSERS: Mapping[Provider, Parser] = {
    Provider.AZURE_DEVOPS: azure.parse,
    Provider.GOGS: gogs.parse,
    Provider.GITHUB: github.parse,
    Provider.GITLAB: gitlab.parse,
    Provider.BITBUCKET: bitbucket.parse_cloud,
    Provider.BITBUCKET_SERVER: bitbucket.parse_server,
}


def provider_of(headers: Mapping[str, str]) -> Provider:
    """The sender (see the module doc); raises :class:`Rejected` for none."""
    if headers.get(azure.ACTIVITY_HEADER):
        return Provider.AZURE_DEVOPS
    if gogs.recognises(headers):
        return Provider.GOGS
    if headers.get(github.EVENT_HEADER):
        return Provider.GITHUB
    if headers.get(gitlab.EVENT_HEADER):
        return Provider.GITLAB
    if headers.get(bitbucket.UUID_HEADER):
        return Provider.BITBUCKET
    if headers.get(bitbucket.EVENT_HEADER):
        return Provider.BITBUCKET_SERVER
    raise Rejected(UNKNOWN_EVENT)


def parse(
    provider: Provider, headers: Mapping[str, str], body: bytes, secrets: Mapping[str, str]
) -> Push | None:
    """The push ``body`` describes, ``None`` for an event that asks for nothing (a ping)."""
    return PARSERS[provider](headers, body, secrets)


__all__ = ["PARSERS", "UNKNOWN_EVENT", "Provider", "parse", "provider_of"]
