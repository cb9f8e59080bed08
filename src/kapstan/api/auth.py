"""The API's view of :mod:`kapstan.services.auth`: callers as RBAC subjects, and the service's
errors as Argo CD answers them.

Contract:

- :class:`Caller` is a verified token's principal: ``subjects`` is the user (the account, or
  ``proj:<project>:<role>`` for a project role token) then its groups — what the RBAC
  enforcer takes; the anonymous caller (``users.anonymous.enabled``) has the empty subject,
  so only ``policy.default`` applies to it, as in Argo CD;
- :class:`ServiceAuth` satisfies :class:`~kapstan.api.security.Authenticator` and
  :class:`~kapstan.api.context.Sessions`: a rejected token is Unauthenticated (16)
  ``invalid session: <why>``; a refused login is Unauthenticated with Argo CD's message
  (``Invalid username or password`` for an unknown account, a wrong password and a throttled
  attempt alike); other service errors map by kind (:func:`api_error_of`); a session with
  less than 5 minutes left, or an SSO session the service refreshed with the provider,
  comes back with a ``renewal`` (the fresh token); :meth:`ServiceAuth.logout` revokes a
  token in ``revocations``, which the service must be built to consult (``is_revoked``),
  and drops the refresh token kept for an SSO session.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from kapstan.api.errors import ApiError, Code
from kapstan.services.auth import (
    AccountDisabled,
    AuthConfigError,
    AuthError,
    AuthStoreError,
    InvalidCredentials,
    InvalidRequest,
    InvalidToken,
    MissingCapability,
    NotFound,
    PasswordPolicyError,
    Rejection,
)
from kapstan.services.auth import Authenticator as AuthService
from kapstan.services.auth import Principal as TokenPrincipal
from kapstan.services.revocations import Revocations


@dataclass(frozen=True)
class Caller:
    """A verified caller (see the module contract)."""

    username: str
    groups: tuple[str, ...] = ()
    issued_at: datetime | None = None
    token: TokenPrincipal | None = None  # None: anonymous
    # A re-issued session (token, lifetime in seconds) to hand back as the cookie.
    renewal: tuple[str, int] | None = field(default=None, repr=False, compare=False)

    @property
    def subjects(self) -> Sequence[str]:
        return (self.username, *self.groups)


def caller_of(principal: TokenPrincipal) -> Caller:
    issued = datetime.fromtimestamp(principal.issued_at, UTC) if principal.issued_at else None
    return Caller(principal.username, tuple(principal.groups), issued, principal)


ANONYMOUS = Caller("")


def api_error_of(err: AuthError) -> ApiError:
    """A service error as the API answers it."""
    if isinstance(err, InvalidCredentials | AccountDisabled | MissingCapability):
        return ApiError(Code.UNAUTHENTICATED, str(err))
    if isinstance(err, InvalidToken) and err.reason is Rejection.ID_TOKEN:
        return ApiError(Code.UNAUTHENTICATED, f"invalid session: {err.detail}")
    if isinstance(err, InvalidToken):
        return ApiError(Code.UNAUTHENTICATED, f"invalid session: {err.reason.value}")
    if isinstance(err, NotFound):
        return ApiError(Code.NOT_FOUND, str(err))
    if isinstance(err, InvalidRequest | PasswordPolicyError):
        return ApiError(Code.INVALID_ARGUMENT, str(err))
    if isinstance(err, AuthConfigError):
        return ApiError(Code.FAILED_PRECONDITION, str(err))
    if isinstance(err, AuthStoreError):
        return ApiError(Code.UNAVAILABLE, str(err))
    return ApiError(Code.INTERNAL, str(err))


class ServiceAuth:
    """Tokens and logins through the auth service (see the module contract)."""

    def __init__(
        self,
        service: AuthService,
        projects: Callable[[str], Mapping[str, Any] | None],
        revocations: Revocations | None = None,
        scopes: Callable[[], Sequence[str]] = lambda: ("groups",),
    ) -> None:
        self.service = service
        self._projects = projects
        self.revocations = revocations or Revocations()
        self._scopes = scopes

    def verify(self, token: str) -> Caller:
        try:
            principal, renewal = self.service.verify_renewing(token, self._projects, self._scopes())
        except AuthError as err:
            raise api_error_of(err) from None
        caller = caller_of(principal)
        return caller if renewal is None else replace(caller, renewal=renewal)

    def anonymous(self) -> Caller | None:
        return ANONYMOUS if self.service.anonymous_enabled() else None

    async def login(self, username: str, password: str) -> str:
        try:
            return await self.service.login(username, password)
        except AuthError as err:
            raise api_error_of(err) from None

    def duration(self) -> float:
        return float(self.service.config().session_seconds)

    async def logout(self, token: str) -> None:
        """Revoke the token's id until it would expire (Argo CD's ``RevokeToken``); an SSO
        token's kept refresh token is dropped first, whether or not it still verifies."""
        await asyncio.to_thread(self.service.forget_refresh, token)
        try:
            # In a thread: an SSO token's verification may fetch the provider's keys.
            principal = await asyncio.to_thread(
                self.service.verify, token, self._projects, self._scopes()
            )
        except AuthError:
            return  # not a token of ours, or already refused: nothing to revoke
        await self.revocations.revoke(principal.token_id, principal.expires_at)


__all__ = ["ANONYMOUS", "Caller", "ServiceAuth", "api_error_of", "caller_of"]
