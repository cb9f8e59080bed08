"""argocd-cm ``oidc.config`` (and ``url``) as Argo CD reads them.

Contract of :func:`parse_oidc`: ``None`` when ``oidc.config`` is absent or blank; otherwise an
:class:`OidcConfig`, or :class:`~kapstan.services.auth.errors.AuthConfigError` naming the key
that is wrong (never a value). Defaults as Argo CD's: ``requestedScopes`` ``[openid, profile,
email, groups]`` (``openid`` is always sent), the accepted audiences are ``allowedAudiences``
or, when that is empty, ``clientID`` and ``cliClientID``. The callback is ``<url>/auth/callback``,
so ``url`` is required. ``clientSecret`` is kept as written: ``$key`` names a key of
argocd-secret and ``$<secret>:<key>`` a key of a Secret labelled
``app.kubernetes.io/part-of: argocd`` (:func:`secret_reference`); it is resolved when the code
is exchanged, so a Secret edited later applies without a restart. ``refreshTokenThreshold``
is a Go duration (``5m``, ``90s``, ``1h30m``; Argo CD 3.3's key): with it, a browser session
whose ID token has less than that left is refreshed with the provider's refresh token
(:mod:`.refresh`); absent or ``0``: only a token that has just expired is refreshed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from kapstan.services.auth.errors import AuthConfigError

OIDC_CONFIG = "oidc.config"
URL = "url"
DEFAULT_SCOPES = ("openid", "profile", "email", "groups")
CALLBACK_PATH = "/auth/callback"
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass(frozen=True)
class OidcConfig:
    """One external OIDC provider (see the module contract)."""

    name: str
    issuer: str
    client_id: str
    url: str
    client_secret: str = field(default="", repr=False)
    cli_client_id: str = ""
    requested_scopes: tuple[str, ...] = DEFAULT_SCOPES
    requested_id_token_claims: Mapping[str, Any] = field(default_factory=dict)
    allowed_audiences: tuple[str, ...] = ()
    enable_pkce: bool = False
    root_ca: str = ""
    logout_url: str = ""
    refresh_token_threshold: float = 0.0  # seconds; 0: refresh only a just-expired token

    @property
    def redirect_uri(self) -> str:
        return self.url.rstrip("/") + CALLBACK_PATH

    @property
    def audiences(self) -> tuple[str, ...]:
        if self.allowed_audiences:
            return self.allowed_audiences
        return tuple(a for a in (self.client_id, self.cli_client_id) if a)

    @property
    def scopes(self) -> tuple[str, ...]:
        scopes = self.requested_scopes or DEFAULT_SCOPES
        return scopes if "openid" in scopes else ("openid", *scopes)


def _strings(raw: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = raw.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AuthConfigError(f"{OIDC_CONFIG}: {key} must be a list of strings")
    return tuple(value)


def _string(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise AuthConfigError(f"{OIDC_CONFIG}: {key} must be a string")
    return value.strip()


def parse_duration(text: str, key: str) -> float:
    """Seconds of a Go duration (``5m``, ``1h30m``, ``90s``, ``0``); raises
    :class:`AuthConfigError` naming ``key`` for anything else (a negative one included)."""
    text = text.strip()
    if text == "0":
        return 0.0
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise AuthConfigError(f"{OIDC_CONFIG}: {key} must be a duration such as 5m, 90s or 1h30m")
    return sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)


def parse_oidc(cm: Mapping[str, str]) -> OidcConfig | None:
    """The provider of ``oidc.config`` (see the module contract)."""
    text = cm.get(OIDC_CONFIG, "")
    if not text.strip():
        return None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError:
        raise AuthConfigError(f"{OIDC_CONFIG} is not valid YAML") from None
    if not isinstance(raw, dict):
        raise AuthConfigError(f"{OIDC_CONFIG} must be a mapping")
    issuer, client_id = _string(raw, "issuer"), _string(raw, "clientID")
    url = cm.get(URL, "").strip()
    for key, value in (("issuer", issuer), ("clientID", client_id)):
        if not value:
            raise AuthConfigError(f"{OIDC_CONFIG}: {key} is required")
    if not url.startswith(("http://", "https://")):
        raise AuthConfigError(f"argocd-cm {URL} must be the server's external URL for SSO")
    if not issuer.startswith(("http://", "https://")):
        raise AuthConfigError(f"{OIDC_CONFIG}: issuer must be an http(s) URL")
    claims = raw.get("requestedIDTokenClaims") or {}
    if not isinstance(claims, dict):
        raise AuthConfigError(f"{OIDC_CONFIG}: requestedIDTokenClaims must be a mapping")
    requested = _strings(raw, "requestedScopes")
    threshold = raw.get("refreshTokenThreshold")
    if threshold is not None and not isinstance(threshold, str):
        raise AuthConfigError(f"{OIDC_CONFIG}: refreshTokenThreshold must be a duration string")
    refresh_after = parse_duration(threshold, "refreshTokenThreshold") if threshold else 0.0
    return OidcConfig(
        name=_string(raw, "name") or "SSO",
        issuer=issuer,
        client_id=client_id,
        url=url,
        client_secret=_string(raw, "clientSecret"),
        cli_client_id=_string(raw, "cliClientID"),
        requested_scopes=requested or DEFAULT_SCOPES,
        requested_id_token_claims=claims,
        allowed_audiences=_strings(raw, "allowedAudiences"),
        enable_pkce=raw.get("enablePKCEAuthentication") is True,
        root_ca=_string(raw, "rootCA"),
        logout_url=_string(raw, "logoutURL"),
        refresh_token_threshold=refresh_after,
    )


def secret_reference(value: str) -> tuple[str, str] | None:
    """``(secret, key)`` of a ``$key`` (secret ``""``: argocd-secret) or ``$secret:key``
    reference; ``None`` for a literal value."""
    if not value.startswith("$") or len(value) < 2:
        return None
    name, sep, key = value[1:].partition(":")
    return (name, key) if sep else ("", name)


__all__ = [
    "CALLBACK_PATH",
    "DEFAULT_SCOPES",
    "OIDC_CONFIG",
    "OidcConfig",
    "parse_duration",
    "parse_oidc",
    "secret_reference",
]
