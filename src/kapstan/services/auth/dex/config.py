"""argocd-cm ``dex.config`` rendered into Dex's own configuration, as Argo CD's
``argocd-dex rundex`` renders it.

Contract:

- :func:`dex_settings` is ``None`` when Dex is not in use: argocd-cm has no ``url``, or
  ``dex.config`` is blank or has no ``connectors`` (Argo CD's "Dex is configured"); invalid
  YAML, a non-mapping, or a malformed connector raise
  :class:`~kapstan.services.auth.errors.AuthConfigError` naming what is wrong, never a value;
- :func:`render` returns the configuration Dex is started with: the user's ``dex.config``
  with ``issuer`` ``<url>/api/dex``, in-memory storage, ``web.http`` on the given address,
  the approval screen skipped, Kapstan's static clients first (``argo-cd`` with the secret
  derived from ``server.secretkey`` — :func:`client_secret` — and the redirect URIs
  ``<url>/auth/callback`` plus those of ``additionalUrls``; the public ``argo-cd-cli`` with
  the CLI's localhost callbacks, Argo CD's and ``kapstan login --sso``'s), each
  redirect-based connector's ``redirectURI`` set to ``<url>/api/dex/callback``, and every
  string ``$key`` / ``$<secret>:<key>`` replaced by the value ``lookup`` finds (Argo CD's
  rule: a reference ``lookup`` does not know stays as written, so bcrypt hashes such as
  ``$2a$10$...`` survive). :func:`unresolved` names the references left as written;
- :func:`references` lists the ``(secret, key)`` pairs a configuration refers to, so the
  caller reads only those Secrets.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from kapstan.services.auth.errors import AuthConfigError

DEX_CONFIG = "dex.config"
ISSUER_PATH = "/api/dex"
CALLBACK_PATH = "/api/dex/callback"
LOGIN_CALLBACK = "/auth/callback"
CLIENT_ID, CLIENT_NAME = "argo-cd", "Argo CD"
CLI_CLIENT_ID, CLI_CLIENT_NAME = "argo-cd-cli", "Argo CD CLI"
# Argo CD's two, plus the callback of `kapstan login --sso` (it listens on 127.0.0.1, default
# port 8085): Dex accepts only these exact URIs once a client names any.
CLI_REDIRECT_URIS = (
    "http://localhost",
    "http://localhost:8085/auth/callback",
    "http://127.0.0.1:8085/auth/callback",
)
# Connectors that send the browser back to Dex (Argo CD's list): their redirectURI is Dex's
# callback under the server's URL.
REDIRECT_CONNECTORS = frozenset(
    {"oidc", "saml", "microsoft", "linkedin", "gitlab", "github", "bitbucket-cloud", "openshift"}
)
# What a secret reference looks like; other `$` strings (bcrypt hashes) are never looked up.
_REFERENCE = re.compile(r"^\$([A-Za-z0-9._-]+)(?::([A-Za-z0-9._-]+))?$")
Lookup = Callable[[str, str], str | None]  # (secret "" = argocd-secret, key) -> value


@dataclass(frozen=True)
class DexSettings:
    """``dex.config`` parsed, with the server's URL (see the module contract)."""

    url: str
    config: Mapping[str, Any]
    additional_urls: tuple[str, ...] = ()

    @property
    def issuer(self) -> str:
        return self.url.rstrip("/") + ISSUER_PATH

    @property
    def connectors(self) -> list[Mapping[str, Any]]:
        return list(self.config.get("connectors") or [])


def client_secret(server_secret: bytes) -> str:
    """The ``argo-cd`` client's secret: derived from ``server.secretkey`` (Argo CD's rule:
    the first 40 characters of the URL-safe base64 of its SHA-256), so the API server and the
    Dex runner agree on it without sharing anything else."""
    return base64.urlsafe_b64encode(hashlib.sha256(server_secret).digest()).decode()[:40]


def _additional_urls(cm: Mapping[str, str]) -> tuple[str, ...]:
    try:
        extra = yaml.safe_load(cm.get("additionalUrls") or "[]")
    except yaml.YAMLError:
        return ()
    return tuple(str(u) for u in extra) if isinstance(extra, list) else ()


def dex_settings(cm: Mapping[str, str]) -> DexSettings | None:
    """The Dex configuration of argocd-cm (see the module contract)."""
    text = cm.get(DEX_CONFIG, "")
    url = cm.get("url", "").strip()
    if not text.strip() or not url:
        return None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise AuthConfigError(f"{DEX_CONFIG} is not valid YAML{where}") from None
    if not isinstance(raw, dict):
        raise AuthConfigError(f"{DEX_CONFIG} must be a mapping")
    connectors = raw.get("connectors")
    if not connectors:
        return None
    if not isinstance(connectors, list):
        raise AuthConfigError(f"{DEX_CONFIG}: connectors must be a list")
    for i, connector in enumerate(connectors):
        if not isinstance(connector, dict):
            raise AuthConfigError(f"{DEX_CONFIG}: connectors[{i}] must be a mapping")
        for key in ("type", "id"):
            if not isinstance(connector.get(key), str) or not connector[key]:
                raise AuthConfigError(f"{DEX_CONFIG}: connectors[{i}] needs a {key}")
        if not isinstance(connector.get("config", {}), dict):
            raise AuthConfigError(f"{DEX_CONFIG}: connectors[{i}].config must be a mapping")
    if not url.startswith(("http://", "https://")):
        raise AuthConfigError("argocd-cm url must be the server's external URL for SSO")
    return DexSettings(url.rstrip("/"), raw, _additional_urls(cm))


def _reference(value: str) -> tuple[str, str] | None:
    m = _REFERENCE.match(value)
    if m is None:
        return None
    return (m[1], m[2]) if m[2] else ("", m[1])


def _walk(value: Any, on_string: Callable[[str], str]) -> Any:
    if isinstance(value, dict):
        return {k: _walk(v, on_string) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, on_string) for v in value]
    if isinstance(value, str):
        return on_string(value)
    return value


def references(config: Mapping[str, Any]) -> set[tuple[str, str]]:
    """The ``(secret, key)`` pairs the strings of ``config`` refer to."""
    found: set[tuple[str, str]] = set()

    def note(value: str) -> str:
        ref = _reference(value)
        if ref is not None:
            found.add(ref)
        return value

    _walk(dict(config), note)
    return found


def render(
    settings: DexSettings, server_secret: bytes, lookup: Lookup, *, http: str
) -> dict[str, Any]:
    """Dex's configuration (see the module contract); ``http``: ``host:port`` to serve on."""
    cfg: dict[str, Any] = copy.deepcopy(dict(settings.config))
    cfg["issuer"] = settings.issuer
    cfg["storage"] = {"type": "memory"}
    cfg["web"] = {"http": http}
    cfg.pop("grpc", None)  # Kapstan does not use Dex's gRPC API; no port left open for it
    cfg.pop("telemetry", None)
    oauth2 = cfg.get("oauth2")
    cfg["oauth2"] = {**(oauth2 if isinstance(oauth2, dict) else {}), "skipApprovalScreen": True}
    redirects = [settings.url + LOGIN_CALLBACK]
    redirects += [u.rstrip("/") + LOGIN_CALLBACK for u in settings.additional_urls]
    ours: list[dict[str, Any]] = [
        {
            "id": CLIENT_ID,
            "name": CLIENT_NAME,
            "secret": client_secret(server_secret),
            "redirectURIs": redirects,
        },
        {
            "id": CLI_CLIENT_ID,
            "name": CLI_CLIENT_NAME,
            "public": True,
            "redirectURIs": list(CLI_REDIRECT_URIS),
        },
    ]
    theirs = cfg.get("staticClients")
    cfg["staticClients"] = ours + (list(theirs) if isinstance(theirs, list) else [])
    connectors: list[dict[str, Any]] = []
    for connector in cfg.get("connectors") or []:
        if connector.get("type") in REDIRECT_CONNECTORS:
            inner = {**(connector.get("config") or {}), "redirectURI": settings.url + CALLBACK_PATH}
            connectors.append({**connector, "config": inner})
        else:
            connectors.append(connector)
    cfg["connectors"] = connectors

    def resolve(value: str) -> str:
        ref = _reference(value)
        if ref is None:
            return value
        found = lookup(*ref)
        return value if found is None else found.strip()

    resolved: dict[str, Any] = _walk(cfg, resolve)
    return resolved


def unresolved(config: Mapping[str, Any], lookup: Lookup) -> list[str]:
    """The references of ``config`` that ``lookup`` does not know, as written (``$key`` or
    ``$secret:key``: names, never values), sorted."""
    missing = [ref for ref in references(config) if lookup(*ref) is None]
    return sorted(f"${s}:{k}" if s else f"${k}" for s, k in missing)


def connector_summary(settings: DexSettings) -> Sequence[Mapping[str, str]]:
    """Argo CD's ``dexConfig.connectors`` of ``GET /api/v1/settings``: name and type."""
    return [
        {"name": str(c.get("name") or c.get("id")), "type": str(c.get("type"))}
        for c in settings.connectors
    ]


__all__ = [
    "CALLBACK_PATH",
    "CLIENT_ID",
    "CLI_CLIENT_ID",
    "DEX_CONFIG",
    "ISSUER_PATH",
    "DexSettings",
    "client_secret",
    "connector_summary",
    "dex_settings",
    "references",
    "render",
    "unresolved",
]
