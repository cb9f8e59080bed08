"""Validation of an identity provider's ID token (OpenID Connect Core §3.1.3.7).

Contract of :func:`validate`: the token is a compact JWS whose header ``alg`` is one of
:data:`ALGORITHMS` (asymmetric only: ``none`` and the HMAC algorithms are refused, so a token
"signed" with the provider's public key as an HMAC secret cannot pass) and whose ``kid`` names
a key of the issuer (``keys``: see :meth:`~.provider.Provider.key`, which follows rotation);
the signature verifies with that key; ``iss`` is the issuer; ``aud`` (string or list) holds
one of ``audiences``; ``exp`` is in the future and ``nbf``/``iat`` not in the future, each
with :data:`CLOCK_SKEW` seconds of tolerance (``exp`` also ``expiry_grace`` more: a just-expired
token whose session can be refreshed); with ``nonce`` given, the claim equals it.
Every refusal is :class:`OidcTokenError` whose message says which check failed, naming at
most the claim and the expected value, never the token.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError

from kapstan.services.auth.errors import AuthError

ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
CLOCK_SKEW = 60  # seconds; Argo CD's go-oidc verifier allows a minute as well


class OidcTokenError(AuthError):
    """An ID token that does not validate (see the module contract)."""


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def unverified_claims(token: str) -> dict[str, Any]:
    """The payload of a compact JWT without any check (to route it to a verifier); ``{}``
    when it is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        claims = json.loads(_b64(parts[1]))
    except ValueError:
        return {}
    return claims if isinstance(claims, dict) else {}


def _header(token: str) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3:
        raise OidcTokenError("malformed token: not a signed JWT")
    try:
        header = json.loads(_b64(parts[0]))
    except ValueError:
        raise OidcTokenError("malformed token header") from None
    if not isinstance(header, dict):
        raise OidcTokenError("malformed token header")
    return header


def _number(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise OidcTokenError(f"claim {name} is not a number")
    return float(value)


def validate(
    token: str,
    *,
    issuer: str,
    audiences: Sequence[str],
    keys: Callable[[str], Any],
    now: float,
    nonce: str | None = None,
    expiry_grace: float = 0.0,
) -> dict[str, Any]:
    """The claims of a valid ID token; raises :class:`OidcTokenError` (module contract)."""
    header = _header(token)
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise OidcTokenError(f"signing algorithm {alg!r} is not accepted")
    kid = header.get("kid")
    key = keys(kid if isinstance(kid, str) else "")
    if key is None:
        raise OidcTokenError(f"signing key {kid!r} is not in the issuer's JWKS")
    try:
        payload = jws.deserialize_compact(token, key, algorithms=[str(alg)]).payload
        claims = json.loads(payload)
    except JoseError:
        raise OidcTokenError("bad signature") from None
    except ValueError:
        raise OidcTokenError("malformed token payload") from None
    if not isinstance(claims, dict):
        raise OidcTokenError("malformed token payload")
    check_claims(
        claims, issuer=issuer, audiences=audiences, now=now, nonce=nonce, grace=expiry_grace
    )
    return claims


def check_claims(
    claims: dict[str, Any],
    *,
    issuer: str,
    audiences: Sequence[str],
    now: float,
    nonce: str | None,
    grace: float = 0.0,
) -> None:
    """The claim checks of :func:`validate` (after the signature)."""
    if claims.get("iss") != issuer:
        raise OidcTokenError(f"wrong issuer: expected {issuer}")
    aud = claims.get("aud")
    token_audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if not any(a in audiences for a in token_audiences):
        raise OidcTokenError(f"wrong audience: expected one of {', '.join(audiences)}")
    expires = _number(claims, "exp")
    if expires is None:
        raise OidcTokenError("missing claim exp")
    if now > expires + CLOCK_SKEW + grace:
        raise OidcTokenError("token expired")
    for name in ("nbf", "iat"):
        moment = _number(claims, name)
        if moment is not None and moment > now + CLOCK_SKEW:
            raise OidcTokenError(
                f"token not valid yet ({name} is {moment - now:.0f}s ahead: check the clocks)"
            )
    if nonce is not None and claims.get("nonce") != nonce:
        raise OidcTokenError("wrong nonce: the token was not issued for this login")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise OidcTokenError("missing claim sub")


__all__ = ["ALGORITHMS", "CLOCK_SKEW", "OidcTokenError", "unverified_claims", "validate"]
