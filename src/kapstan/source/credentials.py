"""Repository credentials from Argo CD Secrets (``repository`` and ``repo-creds``).

Contracts:

- :class:`RepoCredentials` is immutable and never shows a secret in ``repr``/``str``.
- :func:`parse_secret` reads one Secret given as a plain dict, in either form Kubernetes accepts:
  ``data`` (base64) or ``stringData`` (plain; wins over ``data`` for the same key, as the API
  server does when it merges them).
- :func:`credentials_for` follows Argo CD: a ``repository`` Secret whose URL matches (after
  :func:`~kapstan.source.urls.normalize_url`) and that carries credentials is used as is;
  otherwise the ``repo-creds`` template with the LONGEST normalized-URL prefix of the repository
  URL supplies them (its ``insecure`` flag is or-ed with the repository's).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from kapstan.model.vocabulary import SECRET_TYPE_LABEL
from kapstan.model.vocabulary import SECRET_TYPE_REPO_CREDS as REPO_CREDS
from kapstan.model.vocabulary import SECRET_TYPE_REPOSITORY as REPOSITORY
from kapstan.source.urls import normalize_url


class InvalidSecret(ValueError):
    """A Secret is not a usable repository/credential-template Secret (no secret in the text)."""


@dataclass(frozen=True, repr=False)
class RepoCredentials:
    """How to authenticate to one repository; all fields optional."""

    username: str | None = None
    password: str | None = None  # a password or a token: both go through HTTP basic auth
    ssh_private_key: str | None = None
    insecure: bool = False  # skip TLS verification / SSH host key checking
    known_hosts: str | None = None  # ssh_known_hosts text for SSH repositories
    # PEM CA bundle trusted for this HTTPS repository (Argo CD's argocd-tls-certs-cm entry for
    # the host); given to git through GIT_SSL_CAINFO, never on a command line.
    tls_ca_data: str | None = None

    @property
    def has_credentials(self) -> bool:
        """True when a user name, password/token or SSH key is set (Argo CD's HasCredentials)."""
        return bool(self.username or self.password or self.ssh_private_key)

    def secrets(self) -> tuple[str, ...]:
        """The strings that must be redacted from any output (for ``proc.run(redact=...)``)."""
        found = [self.password or "", self.ssh_private_key or ""]
        return tuple(s for s in found if s)

    def __repr__(self) -> str:
        def mask(value: str | None) -> str:
            return "None" if value is None else "'***'"

        return (
            f"RepoCredentials(username={self.username!r}, password={mask(self.password)}, "
            f"ssh_private_key={mask(self.ssh_private_key)}, insecure={self.insecure}, "
            f"known_hosts={'set' if self.known_hosts else None}, "
            f"tls_ca_data={'set' if self.tls_ca_data else None})"
        )

    __str__ = __repr__


@dataclass(frozen=True)
class RepoSecret:
    """One parsed ``repository`` or ``repo-creds`` Secret."""

    kind: str  # REPOSITORY or REPO_CREDS
    name: str
    url: str
    credentials: RepoCredentials
    type: str = "git"  # "git" or "helm"
    project: str | None = None
    enable_oci: bool = False  # a Helm repository that is an OCI registry (``enableOCI``)
    force_http: bool = False  # talk plain HTTP to that registry (``insecureOCIForceHttp``)


def _decode(secret: Mapping[str, Any], name: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in (secret.get("data") or {}).items():
        try:
            out[str(key)] = base64.b64decode(str(value), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            # The key name is safe to show; the value is not.
            raise InvalidSecret(f"secret {name!r}: data.{key} is not valid base64") from None
    for key, value in (secret.get("stringData") or {}).items():
        out[str(key)] = str(value)
    return out


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def parse_secret(secret: Mapping[str, Any], *, known_hosts: str | None = None) -> RepoSecret:
    """Parse a ``repository``/``repo-creds`` Secret; ``known_hosts`` comes from
    ``argocd-ssh-known-hosts-cm`` (Argo CD keeps it out of the Secret)."""
    meta = secret.get("metadata") or {}
    name = str(meta.get("name", "<unnamed>"))
    kind = str((meta.get("labels") or {}).get(SECRET_TYPE_LABEL, ""))
    if kind not in (REPOSITORY, REPO_CREDS):
        raise InvalidSecret(f"secret {name!r}: label {SECRET_TYPE_LABEL} is {kind!r}")
    data = _decode(secret, name)
    url = data.get("url", "").strip()
    if not url:
        raise InvalidSecret(f"secret {name!r}: no url")
    creds = RepoCredentials(
        username=data.get("username") or None,
        password=data.get("password") or None,
        ssh_private_key=data.get("sshPrivateKey") or None,
        insecure=_true(data.get("insecure")),
        known_hosts=known_hosts,
    )
    return RepoSecret(
        kind=kind,
        name=name,
        url=url,
        credentials=creds,
        type=data.get("type") or "git",
        project=data.get("project") or None,
        enable_oci=_true(data.get("enableOCI")),
        force_http=_true(data.get("insecureOCIForceHttp")),
    )


def best_template(repo_url: str, templates: Iterable[RepoSecret]) -> RepoSecret | None:
    """The ``repo-creds`` template whose normalized URL is the longest prefix of ``repo_url``."""
    target = normalize_url(repo_url)
    best: RepoSecret | None = None
    best_len = -1
    for tmpl in templates:
        prefix = normalize_url(tmpl.url)
        if target.startswith(prefix) and len(prefix) > best_len:
            best, best_len = tmpl, len(prefix)
    return best


def credentials_for(
    repo_url: str,
    repositories: Iterable[RepoSecret] = (),
    templates: Iterable[RepoSecret] = (),
    *,
    known_hosts: str | None = None,
    tls_ca_data: str | None = None,
) -> RepoCredentials:
    """Credentials to use for ``repo_url`` (see the module contract); empty when none match."""
    target = normalize_url(repo_url)
    repo = next((r for r in repositories if normalize_url(r.url) == target), None)
    if repo is not None and repo.credentials.has_credentials:
        found = repo.credentials
    else:
        tmpl = best_template(repo_url, templates)
        found = tmpl.credentials if tmpl is not None else RepoCredentials()
        if repo is not None and repo.credentials.insecure:
            found = replace(found, insecure=True)
    if known_hosts is not None and found.known_hosts is None:
        found = replace(found, known_hosts=known_hosts)
    if tls_ca_data is not None and found.tls_ca_data is None:
        found = replace(found, tls_ca_data=tls_ca_data)
    return found
