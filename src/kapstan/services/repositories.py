"""Repository credentials from Argo CD's Secrets and ConfigMaps, looked up per repository URL.

Contract of :func:`read_repositories`: reads ``repository`` and ``repo-creds`` Secrets
(``argocd.argoproj.io/secret-type``), each on its own — a bad one is reported in ``errors``
(Secret name and reason, never a value) and the rest still load; other Secrets are skipped.
``known_hosts`` is ``argocd-ssh-known-hosts-cm``'s ``ssh_known_hosts``; ``tls_certs`` is
``argocd-tls-certs-cm``'s data (host name → PEM CA bundle).

Lookups follow Argo CD: a ``repository`` Secret with the same normalized URL that carries
credentials wins, else the ``repo-creds`` template with the longest URL prefix
(:func:`kapstan.source.credentials.credentials_for`). Git sources look among Secrets of
``type: git`` (the default), Helm chart repositories among ``type: helm`` ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from kapstan.model.vocabulary import (
    SECRET_TYPE_LABEL,
    SECRET_TYPE_REPO_CREDS,
    SECRET_TYPE_REPOSITORY,
)
from kapstan.render import HelmRepoCredentials
from kapstan.source.credentials import (
    InvalidSecret,
    RepoCredentials,
    RepoSecret,
    credentials_for,
    parse_secret,
)
from kapstan.source.urls import normalize_url

HELM = "helm"


def _name(secret: Mapping[str, Any]) -> str:
    return str((secret.get("metadata") or {}).get("name") or "<unnamed>")


def _secret_type(secret: Mapping[str, Any]) -> str:
    meta = secret.get("metadata") or {}
    return str((meta.get("labels") or {}).get(SECRET_TYPE_LABEL) or "")


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower() if "://" in url else ""
    except ValueError:
        return ""


def _oci_key(url: str) -> str:
    return normalize_url(url.removeprefix("oci://"))


@dataclass(frozen=True)
class Repositories:
    """Parsed repository Secrets and the ConfigMaps that complete them."""

    repositories: tuple[RepoSecret, ...] = ()
    templates: tuple[RepoSecret, ...] = ()
    errors: tuple[tuple[str, str], ...] = ()  # (secret name, reason)
    known_hosts: str | None = None
    tls_certs: Mapping[str, str] = field(default_factory=dict)

    def credentials(self, repo_url: str) -> RepoCredentials:
        """Credentials for the git repository at ``repo_url`` (empty when none match)."""
        return credentials_for(
            repo_url,
            [r for r in self.repositories if r.type != HELM],
            [t for t in self.templates if t.type != HELM],
            known_hosts=self.known_hosts,
            tls_ca_data=self.tls_certs.get(_host(repo_url)),
        )

    def helm(self, repo_url: str) -> HelmRepoCredentials:
        """Settings of the Helm chart repository (HTTP or OCI) at ``repo_url``."""
        wanted = _oci_key(repo_url)
        repo = next(
            (r for r in self.repositories if r.type == HELM and _oci_key(r.url) == wanted), None
        )
        found = repo
        if repo is None or not repo.credentials.has_credentials:
            prefixed = [
                t for t in self.templates if t.type == HELM and wanted.startswith(_oci_key(t.url))
            ]
            template = max(prefixed, key=lambda t: len(_oci_key(t.url)), default=None)
            found = template or repo
        if found is None:
            return HelmRepoCredentials()
        creds = found.credentials
        oci = found.enable_oci or (repo is not None and repo.enable_oci)
        return HelmRepoCredentials(
            username=creds.username or "",
            password=creds.password or "",
            enable_oci=oci,
            plain_http=found.force_http,
            insecure=creds.insecure or (repo is not None and repo.credentials.insecure),
        )


def read_repositories(
    secrets: Iterable[Mapping[str, Any]],
    *,
    known_hosts: str | None = None,
    tls_certs: Mapping[str, str] | None = None,
) -> Repositories:
    """Parse the repository/repo-creds Secrets among ``secrets`` (sorted by name)."""
    repos: list[RepoSecret] = []
    templates: list[RepoSecret] = []
    errors: list[tuple[str, str]] = []
    for secret in sorted(secrets, key=_name):
        if _secret_type(secret) not in (SECRET_TYPE_REPOSITORY, SECRET_TYPE_REPO_CREDS):
            continue
        try:
            parsed = parse_secret(secret, known_hosts=known_hosts)
        except InvalidSecret as exc:
            errors.append((_name(secret), str(exc)))
            continue
        (repos if parsed.kind == SECRET_TYPE_REPOSITORY else templates).append(parsed)
    certs = {str(k).lower(): str(v) for k, v in (tls_certs or {}).items()}
    return Repositories(tuple(repos), tuple(templates), tuple(errors), known_hosts, certs)


__all__ = ["Repositories", "read_repositories"]
