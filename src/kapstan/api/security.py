"""Who is calling, and what they may do: the two protocols the API's routes depend on.

Contract: every request's credentials come from the ``argocd.token`` cookie or an
``Authorization: Bearer`` header (Argo CD's two forms); :func:`principal_of` verifies them
through :class:`Authenticator` and raises ``Unauthenticated`` (code 16, "no session
information") when there are none and anonymous access is off. :func:`require` asks
:class:`Authorizer` and raises ``PermissionDenied`` (code 7) with Argo CD's message,
``permission denied: <resource>, <action>, <object>, sub: <user>, iat: <time>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from starlette.requests import Request

from kapstan.api.errors import ApiError, Code, denied, unauthenticated

TOKEN_COOKIE = "argocd.token"  # noqa: S105 (a cookie name)


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


def principal_of(request: Request, authn: Authenticator) -> Principal:
    """The verified caller of ``request`` (see the module contract)."""
    token = token_of(request)
    if token:
        return authn.verify(token)
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
    "TOKEN_COOKIE",
    "Authenticator",
    "Authorizer",
    "Principal",
    "denial",
    "denied",
    "principal_of",
    "require",
    "token_of",
]
