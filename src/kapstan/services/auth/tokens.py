"""Argo CD's JWTs: HS256 with ``server.secretkey``, issued and verified without I/O.

Emitted (``SessionManager.Create``): header ``{"alg": "HS256", "typ": "JWT"}``; claims
``iss: "argocd"``, ``sub``, ``exp`` (only when the token expires), ``nbf`` = ``iat`` = now
(whole seconds), ``jti``. Subjects: ``<account>:login`` (sessions), ``<account>:apiKey`` (API
keys), ``proj:<project>:<role>`` (project role tokens).

Contract of :func:`verify`: the token must be HS256-signed with the configured key (the HMAC
check is constant time), come from issuer ``argocd``, not be expired (``now >= exp``) or not
yet valid (``now < nbf``), and carry ``iat`` and ``sub``. Then, by subject:

- ``proj:<p>:<r>`` (exactly three parts): the project must be known to ``projects``, have the
  role, and hold the token's record (:func:`~kapstan.services.auth.projects.find_record`);
- anything else is ``<account>[:<capability>]`` (no suffix or an unknown one means
  ``apiKey``, as Argo CD reads old tokens): the account must exist, be usable, have the
  capability and the token a ``jti``; the ``jti`` must not be revoked (``is_revoked``) and,
  for an API key, must be recorded in the account's tokens; a token issued before the
  account's password mtime is rejected (Argo CD applies this to API keys as well).

Every rejection is an :class:`~kapstan.services.auth.errors.InvalidToken` with a
:class:`~kapstan.services.auth.errors.Rejection`; nothing of the token is in its message.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import OctKey

from kapstan.services.auth import keys as k
from kapstan.services.auth.accounts import Accounts, Capability
from kapstan.services.auth.errors import InvalidToken, Rejection
from kapstan.services.auth.projects import find_record, role

ALGORITHM = "HS256"
RENEW_BEFORE = 300  # seconds: Argo CD re-issues a session with less than 5 minutes left
ProjectLookup = Callable[[str], Mapping[str, Any] | None]


class PrincipalKind(StrEnum):
    SESSION = "session"
    API_KEY = "apiKey"
    PROJECT_ROLE = "projectRole"
    SSO = "sso"  # an identity provider's ID token (kapstan.services.auth.oidc)


@dataclass(frozen=True)
class Principal:
    """Who a verified token speaks for.

    ``username`` is the RBAC subject as Argo CD computes it: the account name for local
    accounts, ``proj:<project>:<role>`` for project role tokens. ``claims`` are the token's
    claims as Argo CD hands them to RBAC (``sub`` rewritten to the bare account name).
    """

    username: str
    kind: PrincipalKind
    token_id: str
    issued_at: int
    expires_at: int | None = None
    project: str = ""
    role: str = ""
    groups: tuple[str, ...] = ()
    claims: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IssuedToken:
    """A signed token and the record that goes with it (``expires_at`` 0: never)."""

    token: str = field(repr=False)
    id: str
    issued_at: int
    expires_at: int = 0


@functools.lru_cache(maxsize=4)
def _key(secret: bytes) -> OctKey:
    # Argo CD accepts any server.secretkey; joserfc warns below 112 bits, and a warning must
    # not turn into an error for an installation that chose a short key.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        return OctKey.import_key(secret)


def sign(secret: bytes, subject: str, *, now: float, expires_in: int, token_id: str) -> IssuedToken:
    """A token for ``subject``; ``expires_in`` <= 0 means no ``exp`` (see the module doc)."""
    issued = int(now)
    claims: dict[str, Any] = {"iss": k.ISSUER, "sub": subject}
    expires = issued + expires_in if expires_in > 0 else 0
    if expires:
        claims["exp"] = expires
    claims |= {"nbf": issued, "iat": issued, "jti": token_id}
    header = {"alg": ALGORITHM, "typ": "JWT"}
    token = jwt.encode(header, claims, _key(secret), algorithms=[ALGORITHM], default_type=None)
    return IssuedToken(token, token_id, issued, expires)


def decode(token: str, secret: bytes) -> dict[str, Any]:
    """The claims of a token signed with ``secret`` (signature checked, nothing else)."""
    if not secret:
        raise InvalidToken(Rejection.NO_SIGNING_KEY)
    try:
        claims = jwt.decode(token, _key(secret), algorithms=[ALGORITHM]).claims
    except JoseError as err:
        bad = err.error == "bad_signature"
        raise InvalidToken(Rejection.BAD_SIGNATURE if bad else Rejection.MALFORMED) from None
    except (ValueError, TypeError):
        raise InvalidToken(Rejection.MALFORMED) from None
    return dict(claims)


def _number(claims: Mapping[str, Any], name: str) -> int | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidToken(Rejection.MALFORMED, f"{name} is not a number")
    return int(value)


def _token_id(claims: Mapping[str, Any]) -> str:
    jti = claims.get("jti")
    return jti if isinstance(jti, str) else ""


def _groups(claims: Mapping[str, Any]) -> tuple[str, ...]:
    value = claims.get("groups")
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(g for g in value if isinstance(g, str))
    return ()


def split_subject(subject: str) -> tuple[str, Capability]:
    """``alice:login`` -> (alice, login); ``alice`` or ``alice:x`` -> (alice, apiKey)."""
    parts = subject.split(":")
    if len(parts) > 1 and parts[1] == Capability.LOGIN.value:
        return parts[0], Capability.LOGIN
    return parts[0], Capability.API_KEY


def verify(
    token: str,
    secret: bytes,
    accounts: Accounts,
    *,
    now: float,
    projects: ProjectLookup,
    is_revoked: Callable[[str], bool] = lambda _jti: False,
) -> Principal:
    """The principal of a valid token; raises :class:`InvalidToken` (see the module doc)."""
    claims = decode(token, secret)
    if claims.get("iss") != k.ISSUER:
        raise InvalidToken(Rejection.WRONG_ISSUER)
    expires, not_before, issued = (_number(claims, n) for n in ("exp", "nbf", "iat"))
    if expires is not None and now >= expires:
        raise InvalidToken(Rejection.EXPIRED)
    if not_before is not None and now < not_before:
        raise InvalidToken(Rejection.NOT_YET_VALID)
    subject = claims.get("sub")
    if issued is None or not isinstance(subject, str) or not subject:
        raise InvalidToken(Rejection.MISSING_CLAIM, "iat" if issued is None else "sub")
    token_id = _token_id(claims)
    parts = subject.split(":")
    if len(parts) == 3 and parts[0] == k.PROJECT_SUBJECT_PREFIX:
        return verify_project_token(claims, projects(parts[1]), issued, expires)
    name, capability = split_subject(subject)
    account = accounts.get(name)
    if account is None:
        raise InvalidToken(Rejection.UNKNOWN_ACCOUNT, name)
    if not account.usable:
        raise InvalidToken(Rejection.ACCOUNT_DISABLED, name)
    if not account.has(capability):
        raise InvalidToken(Rejection.MISSING_CAPABILITY, f"{name} lacks {capability.value}")
    if not token_id:
        raise InvalidToken(Rejection.MISSING_CLAIM, "jti")
    if is_revoked(token_id):
        raise InvalidToken(Rejection.REVOKED, name)
    if capability is Capability.API_KEY and account.token(token_id) is None:
        raise InvalidToken(Rejection.REVOKED, name)
    if account.password_mtime is not None and issued < account.password_mtime:
        raise InvalidToken(Rejection.PASSWORD_CHANGED, name)
    kind = PrincipalKind.SESSION if capability is Capability.LOGIN else PrincipalKind.API_KEY
    return Principal(
        username=name,
        kind=kind,
        token_id=token_id,
        issued_at=issued,
        expires_at=expires,
        groups=_groups(claims),
        claims={**claims, "sub": name},
    )


def verify_project_token(
    claims: Mapping[str, Any], project: Mapping[str, Any] | None, issued: int, expires: int | None
) -> Principal:
    """The principal of a ``proj:<p>:<r>`` token whose signature and times were checked."""
    subject = str(claims["sub"])
    _, project_name, role_name = subject.split(":")
    if project is None:
        raise InvalidToken(Rejection.UNKNOWN_PROJECT, project_name)
    token_id = _token_id(claims)
    if role(project, role_name) is None:
        raise InvalidToken(Rejection.UNKNOWN_ROLE, f"{project_name}/{role_name}")
    if find_record(project, role_name, token_id, issued) is None:
        raise InvalidToken(Rejection.REVOKED, f"{project_name}/{role_name}")
    return Principal(
        username=subject,
        kind=PrincipalKind.PROJECT_ROLE,
        token_id=token_id,
        issued_at=issued,
        expires_at=expires,
        project=project_name,
        role=role_name,
        groups=_groups(claims),
        claims=dict(claims),
    )


def renewal_due(principal: Principal, now: float) -> bool:
    """Whether Argo CD would re-issue this session (less than :data:`RENEW_BEFORE` left)."""
    return (
        principal.kind is PrincipalKind.SESSION
        and principal.expires_at is not None
        and principal.expires_at - now < RENEW_BEFORE
    )


__all__ = [
    "ALGORITHM",
    "IssuedToken",
    "Principal",
    "PrincipalKind",
    "ProjectLookup",
    "decode",
    "renewal_due",
    "sign",
    "split_subject",
    "verify",
    "verify_project_token",
]
