"""Typed authentication errors.

Contract: every message is safe to log and to show: it may name an account, a project, a role
or a settings key, and never contains a password, a password hash, a token, a token id or the
signing key. Exceptions from lower layers (bcrypt, joserfc, the Kubernetes client) are never
chained into these (``from None``), so their text cannot leak through ``__cause__`` either.

The login errors mirror what Argo CD answers: :class:`InvalidCredentials` carries Argo CD's
"Invalid username or password" for an unknown account and a wrong password alike;
:class:`TooManyAttempts` is a subclass with the same message (Argo CD does not tell a throttled
login from a wrong password), so an API that maps :class:`InvalidCredentials` to 401 answers
exactly as Argo CD does, and one that wants to log the difference catches the subclass first.
"""

from __future__ import annotations

from enum import StrEnum

INVALID_LOGIN = "Invalid username or password"


class AuthError(Exception):
    """Base class of every error raised by :mod:`kapstan.services.auth`."""


class InvalidCredentials(AuthError):
    """Unknown account, wrong or blank password (one message for all: no user enumeration)."""

    def __init__(self, message: str = INVALID_LOGIN) -> None:
        super().__init__(message)


class TooManyAttempts(InvalidCredentials):
    """The login was refused before the password was checked.

    ``reason`` is ``"failures"`` (too many recent failures for this username) or
    ``"concurrency"`` (too many logins in progress on this server).
    """

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class CurrentPasswordMismatch(InvalidCredentials):
    """A password change whose current password did not verify."""

    def __init__(self) -> None:
        super().__init__("current password does not match")


class AccountDisabled(AuthError):
    """The account exists but ``accounts.<name>.enabled`` (or ``admin.enabled``) is false."""

    def __init__(self, account: str) -> None:
        super().__init__(f"Account {account} is disabled")
        self.account = account


class MissingCapability(AuthError):
    """The account lacks ``login`` (for a session) or ``apiKey`` (for a token)."""

    def __init__(self, account: str, capability: str) -> None:
        super().__init__(f"Account {account} does not have {capability} capability")
        self.account = account
        self.capability = capability


class InvalidRequest(AuthError):
    """An argument the caller should not have sent (too long a username, a used token id...)."""


class NotFound(AuthError):
    """The named account, project, role or token does not exist."""


class PasswordPolicyError(AuthError):
    """A new password that ``passwordPattern`` (or bcrypt's 72-byte limit) refuses."""


class AuthConfigError(AuthError):
    """The settings cannot support the operation (e.g. no ``server.secretkey`` yet)."""


class AuthStoreError(AuthError):
    """Reading or writing a Kubernetes object failed; carries the HTTP code and reason only."""

    def __init__(self, message: str, *, code: int = 0) -> None:
        super().__init__(message)
        self.code = code


class Rejection(StrEnum):
    """Why a token was rejected (for logs and metrics; the API answers 401 for all)."""

    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad signature"
    WRONG_ISSUER = "wrong issuer"
    EXPIRED = "expired"
    NOT_YET_VALID = "not yet valid"
    MISSING_CLAIM = "missing claim"
    NO_SIGNING_KEY = "no signing key configured"
    UNKNOWN_ACCOUNT = "unknown account"
    ACCOUNT_DISABLED = "account disabled"
    MISSING_CAPABILITY = "missing capability"
    REVOKED = "revoked"
    PASSWORD_CHANGED = "password changed since the token was issued"  # noqa: S105
    UNKNOWN_PROJECT = "unknown project"
    UNKNOWN_ROLE = "unknown role"
    # SSO: the detail says which check failed (never the token)
    ID_TOKEN = "ID token refused"  # noqa: S105


class InvalidToken(AuthError):
    """A token that does not authenticate; :attr:`reason` says why, ``detail`` adds a name."""

    def __init__(self, reason: Rejection, detail: str = "") -> None:
        super().__init__(f"invalid token: {reason.value}" + (f" ({detail})" if detail else ""))
        self.reason = reason
        self.detail = detail


__all__ = [
    "INVALID_LOGIN",
    "AccountDisabled",
    "AuthConfigError",
    "AuthError",
    "AuthStoreError",
    "CurrentPasswordMismatch",
    "InvalidCredentials",
    "InvalidRequest",
    "InvalidToken",
    "MissingCapability",
    "NotFound",
    "PasswordPolicyError",
    "Rejection",
    "TooManyAttempts",
]
