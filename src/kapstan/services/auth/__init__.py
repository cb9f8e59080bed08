"""Authentication for the API server: Argo CD's local accounts and tokens (see docs/auth.md).

Start with :class:`Authenticator`; the modules below it are pure (accounts, config, passwords,
tokens, projects, throttle) except :mod:`.store`, :mod:`.bootstrap` and :mod:`.writes`, which
do the I/O through :class:`~.store.KubeWriter`.
"""

from kapstan.services.auth.accounts import Account, Accounts, Capability, TokenRecord
from kapstan.services.auth.authenticator import Authenticator
from kapstan.services.auth.config import AuthConfig, AuthInputs, inputs_from_snapshot
from kapstan.services.auth.errors import (
    AccountDisabled,
    AuthConfigError,
    AuthError,
    AuthStoreError,
    CurrentPasswordMismatch,
    InvalidCredentials,
    InvalidRequest,
    InvalidToken,
    MissingCapability,
    NotFound,
    PasswordPolicyError,
    Rejection,
    TooManyAttempts,
)
from kapstan.services.auth.store import KubeWriter
from kapstan.services.auth.throttle import ThrottleSettings
from kapstan.services.auth.tokens import Principal, PrincipalKind, ProjectLookup

__all__ = [
    "Account",
    "AccountDisabled",
    "Accounts",
    "AuthConfig",
    "AuthConfigError",
    "AuthError",
    "AuthInputs",
    "AuthStoreError",
    "Authenticator",
    "Capability",
    "CurrentPasswordMismatch",
    "InvalidCredentials",
    "InvalidRequest",
    "InvalidToken",
    "KubeWriter",
    "MissingCapability",
    "NotFound",
    "PasswordPolicyError",
    "Principal",
    "PrincipalKind",
    "ProjectLookup",
    "Rejection",
    "ThrottleSettings",
    "TokenRecord",
    "TooManyAttempts",
    "inputs_from_snapshot",
]
