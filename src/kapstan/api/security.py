"""Who is calling, and what they may do: the two protocols the API's routes depend on.

Contract: every request's credentials come from the ``argocd.token`` cookie or an
``Authorization: Bearer`` header (Argo CD's two forms); :func:`principal_of` verifies them
through :class:`Authenticator` and raises ``Unauthenticated`` (code 16, "no session
information") when there are none and anonymous access is off. A principal carrying a
``renewal`` (a fresh session token and its lifetime: Argo CD re-issues a session with less
than 5 minutes left) has it sent back as a new ``argocd.token`` cookie on the answer
(:func:`session_cookie`, set by :mod:`kapstan.api.middleware`). :func:`require` asks
:class:`Authorizer` and raises ``PermissionDenied`` (code 7) with Argo CD's message,
``permission denied: <resource>, <action>, <object>, sub: <user>, iat: <time>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from starlette.requests import Request
from starlette.responses import Response

from kapstan.api.errors import ApiError, Code, denied, unauthenticated

TOKEN_COOKIE = "argocd.token"  # noqa: S105 (a cookie name)
RENEWED_COOKIE = "kapstan_session_cookie"  # request.state: the Set-Cookie of a renewal


class Principal(Protocol):
    """An authenticated caller."""

    @property
    def username(self) -> str:
        """What Argo CD shows as the user (``admin``, ``alice``, ``proj:p:r``)."""
        ...

    @property
    def subjects(self) -> Sequence[str]:
        """RBAC subjects: the user or role, then its groups."""
        ...

    @property
    def issued_at(self) -> datetime | None: ...

    @property
    def groups(self) -> Sequence[str]: ...


class Authenticator(Protocol):
    """Token verification (sessions, API keys, project role tokens)."""

    def verify(self, token: str) -> Principal:
        """The caller of ``token``; raises :class:`ApiError` (Unauthenticated) otherwise."""
        ...

    def anonymous(self) -> Principal | None:
        """The anonymous principal when ``users.anonymous.enabled``, else ``None``."""
        ...


class Authorizer(Protocol):
    """RBAC: argocd-rbac-cm plus the projects' roles."""

    def allowed(self, principal: Principal, resource: str, action: str, obj: str) -> bool: ...


def token_of(request: Request) -> str:
    """The caller's token: the Bearer header first, then the cookie (``""`` when none)."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(TOKEN_COOKIE, "")


def session_cookie(token: str, max_age: int, *, secure: bool) -> str:
    """The ``Set-Cookie`` value of a session (httpOnly, SameSite=lax, as Argo CD's);
    ``max_age`` 0: a session that never expires gets a browser-session cookie."""
    carrier = Response()
    carrier.set_cookie(
        TOKEN_COOKIE,
        token,
        max_age=max_age if max_age > 0 else None,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )
    return carrier.headers["set-cookie"]


def principal_of(request: Request, authn: Authenticator) -> Principal:
    """The verified caller of ``request`` (see the module contract)."""
    token = token_of(request)
    if token:
        principal = authn.verify(token)
        renewal: tuple[str, int] | None = getattr(principal, "renewal", None)
        if renewal is not None:
            secure = request.url.scheme == "https"
            setattr(request.state, RENEWED_COOKIE, session_cookie(*renewal, secure=secure))
        return principal
    anonymous = authn.anonymous()
    if anonymous is None:
        raise unauthenticated()
    return anonymous


def denial(principal: Principal, resource: str, action: str, obj: str) -> ApiError:
    """Argo CD's PermissionDenied message for this check."""
    parts = [resource, action, obj]
    if principal.username:
        parts.append(f"sub: {principal.username}")
    if principal.issued_at is not None:
        parts.append(f"iat: {principal.issued_at.strftime('%Y-%m-%dT%H:%M:%SZ')}")
    return ApiError(Code.PERMISSION_DENIED, "permission denied: " + ", ".join(parts))


def require(authz: Authorizer, principal: Principal, resource: str, action: str, obj: str) -> None:
    """Raise PermissionDenied unless ``principal`` may ``action`` ``obj`` of ``resource``."""
    if not authz.allowed(principal, resource, action, obj):
        raise denial(principal, resource, action, obj)


__all__ = [
    "RENEWED_COOKIE",
    "TOKEN_COOKIE",
    "Authenticator",
    "Authorizer",
    "Principal",
    "denial",
    "denied",
    "principal_of",
    "require",
    "session_cookie",
    "token_of",
]
