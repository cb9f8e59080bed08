"""Repositories and credential templates as Argo CD stores them: Secrets labelled
``argocd.argoproj.io/secret-type: repository`` / ``repo-creds`` in the control-plane namespace.

Contract:

- :class:`RepoRecord` is one Secret's values under Argo CD's key names (``url``, ``username``,
  ``password``, ``sshPrivateKey``, ``type``, ``project``, …); :meth:`RepoRecord.public` is the
  API's view of it, which never holds a credential (:data:`SECRET_FIELDS`, nor the TLS client
  certificate, as Argo CD leaves it out);
- :func:`record_from_body` turns an API ``v1alpha1Repository`` / ``v1alpha1RepoCreds`` body into
  a record, refusing unknown fields, values of the wrong type and URLs :func:`check_url` refuses;
- :func:`check_url` accepts ``http(s)://host/…``, ``ssh://…``, scp-like ``user@host:path`` and
  ``oci://host/…`` (and ``host/path`` for a Helm repository with ``enableOCI``); ``file://``
  and anything else is :class:`InvalidRepository` with a message saying what is accepted;
- Secret names follow Argo CD: ``repo-<fnv32a(url + project)>`` and ``creds-<…>``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from kapstan.kube.client import KubeClient
from kapstan.model.vocabulary import SECRET_TYPE_REPO_CREDS, SECRET_TYPE_REPOSITORY
from kapstan.services.typedsecrets import TypedSecrets, fnv32a, secret_name, secret_strings
from kapstan.source.credentials import RepoCredentials, best_template
from kapstan.source.credentials import RepoSecret as ParsedRepoSecret
from kapstan.source.urls import is_ssh_url, normalize_url


class RepoKind(StrEnum):
    """Which of Argo CD's two repository Secret types."""

    REPOSITORY = SECRET_TYPE_REPOSITORY
    CREDS = SECRET_TYPE_REPO_CREDS


class RepoType(StrEnum):
    GIT = "git"
    HELM = "helm"
    OCI = "oci"


class InvalidRepository(ValueError):
    """A repository body or URL the API refuses (the message is safe to show)."""


STRING_FIELDS = (
    "username", "password", "sshPrivateKey", "tlsClientCertData", "tlsClientCertKey", "type",
    "name", "project", "proxy", "noProxy", "githubAppPrivateKey", "githubAppEnterpriseBaseUrl",
    "gcpServiceAccountKey", "bearerToken", "azureServicePrincipalClientId",
    "azureServicePrincipalClientSecret", "azureServicePrincipalTenantId",
    "azureActiveDirectoryEndpoint",
)  # fmt: skip
BOOL_FIELDS = (
    "insecure", "insecureIgnoreHostKey", "enableLfs", "enableOCI", "forceHttpBasicAuth",
    "useAzureWorkloadIdentity", "insecureOCIForceHttp",
)  # fmt: skip
INT_FIELDS = ("githubAppID", "githubAppInstallationID", "depth")
# Never answered by the API (Argo CD's Get/List copy none of them).
SECRET_FIELDS = frozenset(
    {
        "password",
        "sshPrivateKey",
        "tlsClientCertKey",
        "githubAppPrivateKey",
        "gcpServiceAccountKey",
        "bearerToken",
        "azureServicePrincipalClientSecret",
    }
)
_HIDDEN = SECRET_FIELDS | {"tlsClientCertData"}
_CREDENTIAL_FIELDS = (
    "username", "password", "sshPrivateKey", "tlsClientCertData", "tlsClientCertKey",
    "githubAppPrivateKey", "gcpServiceAccountKey", "bearerToken",
    "azureServicePrincipalClientSecret", "useAzureWorkloadIdentity",
)  # fmt: skip
# Fields the API may be given besides these and the URL ("connectionState" is read-only but
# clients send back what they read; "inheritedCreds" likewise).
_READ_ONLY = ("connectionState", "inheritedCreds")
_SCP = re.compile(r"^[A-Za-z0-9._~-]+@[A-Za-z0-9.-]+:[^\s]+$")
_OCI_BARE = re.compile(r"^[A-Za-z0-9.-]+(:\d+)?(/[A-Za-z0-9._/-]+)?$")
MAX_URL = 2048


def check_url(url: str, *, helm_oci: bool = False) -> str:
    """``url`` stripped, if it is a repository URL the API accepts (see the module contract)."""
    url = url.strip()
    accepted = "http(s)://, ssh://, git@host:path or oci:// URLs"
    if not url:
        raise InvalidRepository("the repository URL is required")
    if len(url) > MAX_URL or any(c.isspace() or ord(c) < 32 for c in url):
        raise InvalidRepository(f"invalid repository URL: only {accepted} are accepted")
    if "://" not in url:
        if _SCP.match(url) and is_ssh_url(url):
            return url
        if helm_oci and _OCI_BARE.match(url):
            return url
        raise InvalidRepository(f"invalid repository URL {url!r}: only {accepted} are accepted")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    scheme = parts.scheme.lower() if parts is not None else ""
    if scheme not in ("http", "https", "ssh", "oci"):
        raise InvalidRepository(
            f"repository URL scheme {scheme + '://' if scheme else url!r} is not allowed: "
            f"only {accepted} are accepted"
        )
    if not host:
        raise InvalidRepository(f"invalid repository URL {url!r}: no host")
    return url


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


@dataclass(frozen=True)
class RepoRecord:
    """One repository or credential template Secret (see the module contract)."""

    kind: RepoKind
    values: Mapping[str, str] = field(repr=False)
    secret: str = ""  # the Secret's name ("" before it is written)

    @property
    def url(self) -> str:
        return self.values.get("url", "")

    @property
    def project(self) -> str:
        return self.values.get("project", "")

    @property
    def type(self) -> RepoType:
        raw = self.values.get("type") or RepoType.GIT
        return RepoType(raw) if raw in RepoType._value2member_map_ else RepoType.GIT

    @property
    def enable_oci(self) -> bool:
        return _true(self.values.get("enableOCI")) or self.type == RepoType.OCI

    @property
    def has_credentials(self) -> bool:
        """Argo CD's ``HasCredentials``: any credential field is set."""
        return any(self.values.get(k) for k in _CREDENTIAL_FIELDS)

    def credentials(self, known_hosts: str | None, tls_ca: str | None) -> RepoCredentials:
        return RepoCredentials(
            username=self.values.get("username") or None,
            password=self.values.get("password") or self.values.get("bearerToken") or None,
            ssh_private_key=self.values.get("sshPrivateKey") or None,
            insecure=_true(self.values.get("insecure"))
            or _true(self.values.get("insecureIgnoreHostKey")),
            known_hosts=known_hosts,
            tls_ca_data=tls_ca,
        )

    def secrets(self) -> tuple[str, ...]:
        """The values that must never leave the server."""
        return tuple(v for k, v in self.values.items() if k in SECRET_FIELDS and v)

    def public(self, *, inherited: bool = False) -> dict[str, Any]:
        """The API's view: ``repo`` (or ``url`` for a template), non-secret fields, booleans."""
        out: dict[str, Any] = {"repo" if self.kind == RepoKind.REPOSITORY else "url": self.url}
        for key in STRING_FIELDS:
            value = self.values.get(key)
            if value and key not in _HIDDEN:
                out[key] = value
        for key in BOOL_FIELDS:
            if _true(self.values.get(key)):
                out[key] = True
        for key in INT_FIELDS:
            value = self.values.get(key, "")
            if value.strip().lstrip("-").isdigit():
                out[key] = str(int(value))  # int64 travels as a string in grpc-gateway JSON
        if self.kind == RepoKind.REPOSITORY:
            out["type"] = self.type.value
            if inherited:
                out["inheritedCreds"] = True
        return out

    def same_settings(self, other: RepoRecord) -> bool:
        return {k: v for k, v in self.values.items() if v} == {
            k: v for k, v in other.values.items() if v
        }


def record_from_secret(secret: Mapping[str, Any], kind: RepoKind) -> RepoRecord:
    return RepoRecord(kind, secret_strings(secret), secret_name(secret))


def record_from_body(body: Mapping[str, Any], kind: RepoKind) -> RepoRecord:
    """The record an API body describes (see the module contract)."""
    url_key = "repo" if kind == RepoKind.REPOSITORY else "url"
    known = {url_key, *STRING_FIELDS, *BOOL_FIELDS, *INT_FIELDS, *_READ_ONLY}
    unknown = sorted(set(body) - known)
    if unknown:
        raise InvalidRepository(f"unknown field(s): {', '.join(unknown)}")
    values = _typed_values(body)
    kind_type = values.get("type", RepoType.GIT)
    if kind_type not in RepoType._value2member_map_:
        raise InvalidRepository(f"type must be git, helm or oci, not {kind_type!r}")
    raw_url = body.get(url_key)
    if not isinstance(raw_url, str):
        raise InvalidRepository(f"{url_key} is required")
    helm_oci = kind_type == RepoType.OCI or (kind_type == RepoType.HELM and "enableOCI" in values)
    values["url"] = check_url(raw_url, helm_oci=helm_oci)
    return RepoRecord(kind, values)


def _typed_values(body: Mapping[str, Any]) -> dict[str, str]:
    """The string, boolean and integer fields of ``body`` as Secret values."""
    values: dict[str, str] = {}
    for key in STRING_FIELDS:
        value = body.get(key)
        if value in (None, ""):
            continue
        if not isinstance(value, str):
            raise InvalidRepository(f"{key} must be a string")
        values[key] = value
    for key in BOOL_FIELDS:
        value = body.get(key)
        if value is None:
            continue
        if not isinstance(value, bool):
            raise InvalidRepository(f"{key} must be true or false")
        if value:
            values[key] = "true"
    for key in INT_FIELDS:
        value = body.get(key)
        if value in (None, "", 0, "0"):
            continue
        text = str(value)
        if isinstance(value, bool) or not text.isdigit():
            raise InvalidRepository(f"{key} must be a non-negative integer")
        values[key] = text
    return values


def secret_name_for(record: RepoRecord) -> str:
    """Argo CD's name for a new Secret of ``record``."""
    prefix = "repo" if record.kind == RepoKind.REPOSITORY else "creds"
    return f"{prefix}-{fnv32a(record.url + record.project)}"


def find(records: list[RepoRecord], url: str, project: str | None = None) -> RepoRecord | None:
    """The record of ``url`` (normalized comparison); with ``project``, of that project."""
    key = normalize_url(url)
    for record in records:
        if normalize_url(record.url) == key and (project is None or record.project == project):
            return record
    return None


def template_for(url: str, templates: list[RepoRecord]) -> RepoRecord | None:
    """The credential template with the longest URL prefix of ``url`` (Argo CD's rule)."""
    parsed = [
        ParsedRepoSecret(kind=t.kind.value, name=t.secret, url=t.url, credentials=RepoCredentials())
        for t in templates
    ]
    best = best_template(url, parsed)
    return next((t for t in templates if best is not None and t.secret == best.name), None)


def effective(repo: RepoRecord, templates: list[RepoRecord]) -> tuple[RepoRecord, bool]:
    """``repo`` with a template's credentials when it has none of its own; the flag says
    whether they were inherited (Argo CD's ``inheritedCreds``)."""
    if repo.has_credentials:
        return repo, False
    template = template_for(repo.url, templates)
    if template is None or not template.has_credentials:
        return repo, False
    merged = {**repo.values}
    for key in _CREDENTIAL_FIELDS:
        if template.values.get(key):
            merged[key] = template.values[key]
    return RepoRecord(repo.kind, merged, repo.secret), True


async def read_records(kube: KubeClient, namespace: str, kind: RepoKind) -> list[RepoRecord]:
    """Every Secret of ``kind`` that names a URL, sorted by Secret name."""
    secrets = await TypedSecrets(kube, namespace, kind.value).list()
    records = [record_from_secret(s, kind) for s in secrets]
    return [r for r in records if r.url]


__all__ = [
    "BOOL_FIELDS",
    "INT_FIELDS",
    "SECRET_FIELDS",
    "STRING_FIELDS",
    "InvalidRepository",
    "RepoKind",
    "RepoRecord",
    "RepoType",
    "check_url",
    "effective",
    "find",
    "read_records",
    "record_from_body",
    "record_from_secret",
    "secret_name_for",
    "template_for",
]
