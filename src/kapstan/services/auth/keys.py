"""The wire vocabulary of local authentication, spelled as Argo CD spells it.

Defined here rather than in :mod:`kapstan.model.vocabulary` while the API server is being built
(the auth package owns no file outside itself); the names should move there once it lands.

Sources (Argo CD): ``util/settings/accounts.go`` (account keys), ``util/settings/settings.go``
(``server.secretkey``, ``users.session.duration``, ``passwordPattern``,
``users.anonymous.enabled``, the initial admin Secret), ``util/session/sessionmanager.go``
(issuer, throttling variables), ``server/server.go`` (concurrent logins),
``common/common.go`` (default password pattern).
"""

from __future__ import annotations

from typing import Final

ADMIN: Final = "admin"
ISSUER: Final = "argocd"
PROJECT_SUBJECT_PREFIX: Final = "proj"

# -- argocd-secret -----------------------------------------------------------------------------
SERVER_SECRET_KEY: Final = "server.secretkey"  # noqa: S105 - a key name
ADMIN_PASSWORD: Final = "admin.password"  # noqa: S105
ADMIN_PASSWORD_MTIME: Final = "admin.passwordMtime"  # noqa: S105
ADMIN_TOKENS: Final = "admin.tokens"
INITIAL_ADMIN_SECRET: Final = "argocd-initial-admin-secret"  # noqa: S105 - a Secret's name
INITIAL_ADMIN_FIELD: Final = "password"

# -- argocd-cm ---------------------------------------------------------------------------------
ADMIN_ENABLED: Final = "admin.enabled"
ACCOUNTS_PREFIX: Final = "accounts."
SESSION_DURATION: Final = "users.session.duration"
PASSWORD_PATTERN: Final = "passwordPattern"  # noqa: S105
ANONYMOUS_ENABLED: Final = "users.anonymous.enabled"

DEFAULT_PASSWORD_PATTERN: Final = r"^.{8,32}$"  # noqa: S105 - common.PasswordPatten
DEFAULT_SESSION_SECONDS: Final = 24 * 3600
MAX_USERNAME_LENGTH: Final = 32  # bytes, as Argo CD counts them

# -- environment (same names as Argo CD) -------------------------------------------------------
ENV_MAX_FAIL_COUNT: Final = "ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT"
ENV_FAILURE_WINDOW: Final = "ARGOCD_SESSION_FAILURE_WINDOW_SECONDS"
ENV_MAX_CACHE_SIZE: Final = "ARGOCD_SESSION_MAX_CACHE_SIZE"
ENV_MAX_CONCURRENT_LOGINS: Final = "ARGOCD_MAX_CONCURRENT_LOGIN_REQUESTS_COUNT"
ENV_API_SERVER_REPLICAS: Final = "ARGOCD_API_SERVER_REPLICAS"


def account_key(name: str, suffix: str = "") -> str:
    """``accounts.<name>`` or ``accounts.<name>.<suffix>``."""
    return f"{ACCOUNTS_PREFIX}{name}.{suffix}" if suffix else f"{ACCOUNTS_PREFIX}{name}"


def password_key(name: str) -> str:
    """The argocd-secret key holding ``name``'s bcrypt hash (admin has its own)."""
    return ADMIN_PASSWORD if name == ADMIN else account_key(name, "password")


def password_mtime_key(name: str) -> str:
    """The argocd-secret key holding when ``name``'s password last changed (RFC 3339)."""
    return ADMIN_PASSWORD_MTIME if name == ADMIN else account_key(name, "passwordMtime")


def tokens_key(name: str) -> str:
    """The argocd-secret key recording ``name``'s API keys as JSON ``[{id, iat, exp}]``."""
    return ADMIN_TOKENS if name == ADMIN else account_key(name, "tokens")


def project_subject(project: str, role: str) -> str:
    """``proj:<project>:<role>``, the subject of a project role token."""
    return f"{PROJECT_SUBJECT_PREFIX}:{project}:{role}"
