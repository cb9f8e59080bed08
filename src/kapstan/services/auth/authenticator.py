"""The facade the API server calls: logins, token checks, API keys, project tokens, passwords.

Contract of :class:`Authenticator`:

- settings are read through ``settings`` (a callable returning :class:`AuthInputs`) on every
  call, so an edit of argocd-cm or argocd-secret applies as soon as the watch delivers it; the
  parse is reused while the inputs are equal, and new problems are logged once;
- writes go through ``kube`` (:class:`~kapstan.services.auth.store.KubeWriter`) on freshly
  read objects (:mod:`.writes`), never on the watched copy;
- :meth:`login` follows Argo CD's ``VerifyUsernamePassword`` step by step: a concurrency slot
  (:class:`~.throttle.LoginSlots`), blank and over-long input refused, the failure throttle,
  one bcrypt comparison (against a dummy hash for an unknown account), then the enabled flag
  and the ``login`` capability; every outcome after the input check takes a random
  ``verification_delay`` (Argo CD's 0.5-1 s, counted from the start) so timing tells nothing.
  It returns a session token (``<user>:login``, ``exp`` from ``users.session.duration``);
- :meth:`verify` is pure and synchronous (:func:`~kapstan.services.auth.tokens.verify`);
  ``projects`` looks AppProjects up by name (a dict's ``get`` will do);
- a token whose issuer is argocd-cm ``oidc.config``'s is an identity provider's ID token and
  is verified by :attr:`oidc` (:mod:`.oidc`) against the provider's keys, its groups from the
  claims ``scopes`` names (argocd-rbac-cm); a revoked ``jti`` is refused for both kinds;
- nothing logs or raises a password, hash, token or key (:mod:`.errors`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from kapstan.model.vocabulary import ARGOCD_SECRET
from kapstan.services.auth import bootstrap, writes
from kapstan.services.auth import keys as k
from kapstan.services.auth.accounts import Account, Capability
from kapstan.services.auth.config import AuthConfig, AuthInputs
from kapstan.services.auth.errors import (
    AccountDisabled,
    AuthConfigError,
    AuthError,
    CurrentPasswordMismatch,
    InvalidCredentials,
    InvalidRequest,
    InvalidToken,
    MissingCapability,
    Rejection,
    TooManyAttempts,
)
from kapstan.services.auth.oidc import OidcService
from kapstan.services.auth.oidc.idtoken import unverified_claims
from kapstan.services.auth.passwords import (
    DEFAULT_COST,
    check_policy,
    hash_password,
    verify_password,
)
from kapstan.services.auth.store import AuthStore, KubeWriter
from kapstan.services.auth.throttle import (
    LoginSlots,
    LoginThrottle,
    SharedFailures,
    ThrottleSettings,
)
from kapstan.services.auth.tokens import Principal, ProjectLookup, renewal_due, sign, verify

log = logging.getLogger(__name__)


def _no_projects(_name: str) -> Mapping[str, Any] | None:
    return None


class Authenticator:
    """Local-account authentication for the API server (see the module contract)."""

    def __init__(
        self,
        kube: KubeWriter,
        namespace: str,
        settings: Callable[[], AuthInputs],
        *,
        clock: Callable[[], float] = time.time,
        throttle: ThrottleSettings | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        verification_delay: tuple[float, float] = (0.5, 1.0),
        is_revoked: Callable[[str], bool] | None = None,
        bcrypt_cost: int = DEFAULT_COST,
        shared_failures: SharedFailures | None = None,
        dex_server: str = "",
    ) -> None:
        self.store = AuthStore(kube, namespace)
        self._settings = settings
        self._clock = clock
        limits = throttle or ThrottleSettings.from_env(os.environ)
        self.throttle = LoginThrottle(limits, clock=clock)
        self.slots = LoginSlots(limits.max_concurrent)
        self._sleep = sleep
        self._delay = verification_delay
        self._is_revoked = is_revoked or (lambda _jti: False)
        self._shared = shared_failures
        self._cost = bcrypt_cost
        self._inputs: AuthInputs | None = None
        self._config = AuthConfig()
        self._logged: frozenset[str] = frozenset()
        self._rng = random.SystemRandom()
        self.oidc = OidcService(
            lambda: self._settings().configmap,
            lambda: self.config().secret_key,
            self.store.read_secret,
            clock=clock,
            dex_server=dex_server,
        )

    # -- settings ----------------------------------------------------------------------------
    def config(self) -> AuthConfig:
        """The current settings, parsed (see the module contract)."""
        inputs = self._settings()
        if self._inputs is None or not (inputs is self._inputs or inputs == self._inputs):
            self._inputs, self._config = inputs, AuthConfig.parse(inputs)
            for problem in sorted(set(self._config.problems) - self._logged):
                log.warning("auth settings: %s", problem)
            self._logged = frozenset(self._config.problems)
        return self._config

    def anonymous_enabled(self) -> bool:
        return self.config().anonymous_enabled

    async def ensure_bootstrap(self) -> None:
        """``server.secretkey`` and the initial admin password (:mod:`.bootstrap`)."""
        await bootstrap.ensure_secret_key(self.store)
        await bootstrap.ensure_admin_password(self.store, clock=self._clock, cost=self._cost)

    # -- sessions ----------------------------------------------------------------------------
    async def login(self, username: str, password: str) -> str:
        """A session token; raises :class:`InvalidCredentials` (or :class:`TooManyAttempts`),
        :class:`AccountDisabled`, :class:`MissingCapability` or :class:`InvalidRequest`."""
        with self.slots.slot():
            await self._check_password(username, password)
            return self._session(username, self.config().session_seconds)

    async def _check_password(self, username: str, password: str) -> Account:
        if not username or not password:
            raise InvalidCredentials("no credentials supplied")
        if len(username.encode()) > k.MAX_USERNAME_LENGTH:
            raise InvalidRequest(f"Username is too long ({k.MAX_USERNAME_LENGTH} bytes max)")
        started = time.monotonic()
        try:
            return await self._verify(username, password)
        finally:
            low, high = self._delay
            remaining = self._rng.uniform(low, high) - (time.monotonic() - started)
            if remaining > 0:
                await self._sleep(remaining)

    async def _verify(self, username: str, password: str) -> Account:
        if self._shared is not None:
            self._adopt(username, await self._shared.fetch(username))
        if self.throttle.refused(username):
            log.warning("user %s had too many failed logins", username)
            raise TooManyAttempts("failures")
        account = self.config().accounts.get(username)
        stored = account.password_hash if account else ""
        if not await asyncio.to_thread(verify_password, password, stored) or account is None:
            self.throttle.failed(username)
            if self._shared is not None:
                window = self.throttle.settings.window
                self._adopt(username, await self._shared.record(username, self._clock(), window))
            raise InvalidCredentials()
        if not account.usable:
            raise AccountDisabled(username)
        if not account.has(Capability.LOGIN):
            raise MissingCapability(username, Capability.LOGIN.value)
        self.throttle.succeeded(username)
        if self._shared is not None:
            await self._shared.clear(username)
        return account

    def _adopt(self, username: str, shared: tuple[int, float] | None) -> None:
        if shared is not None:
            self.throttle.adopt(username, *shared)

    def _session(self, username: str, seconds: int) -> str:
        secret = self.config().secret_key
        if not secret:
            raise AuthConfigError(f"{k.SERVER_SECRET_KEY} is not set")
        subject = f"{username}:{Capability.LOGIN.value}"
        token_id = str(uuid.uuid4())
        return sign(secret, subject, now=self._clock(), expires_in=seconds, token_id=token_id).token

    def verify(
        self,
        token: str,
        projects: ProjectLookup = _no_projects,
        scopes: Sequence[str] = ("groups",),
    ) -> Principal:
        """The principal of ``token``; raises :class:`~.errors.InvalidToken`. ``scopes``:
        argocd-rbac-cm's, the claims whose values are an SSO user's groups."""
        claims = unverified_claims(token)
        if claims.get("iss") != k.ISSUER and self.oidc.handles(claims):
            principal = self.oidc.verify(token, scopes)
            if principal.token_id and self._is_revoked(principal.token_id):
                raise InvalidToken(Rejection.REVOKED, principal.username)
            return principal
        config = self.config()
        return verify(
            token,
            config.secret_key,
            config.accounts,
            now=self._clock(),
            projects=projects,
            is_revoked=self._is_revoked,
        )

    def verify_renewing(
        self,
        token: str,
        projects: ProjectLookup = _no_projects,
        scopes: Sequence[str] = ("groups",),
    ) -> tuple[Principal, tuple[str, int] | None]:
        """:meth:`verify`, and the renewal to hand back: ``(token, seconds)`` of a refreshed
        SSO session (:meth:`.oidc.OidcService.verify_renewing`: it may call the provider, so
        run it off the event loop) or of a re-issued local session (:meth:`renew`)."""
        claims = unverified_claims(token)
        if claims.get("iss") != k.ISSUER and self.oidc.handles(claims):
            principal, renewal = self.oidc.verify_renewing(token, scopes, self._is_revoked)
            if principal.token_id and self._is_revoked(principal.token_id):
                raise InvalidToken(Rejection.REVOKED, principal.username)
            return principal, renewal
        principal = self.verify(token, projects, scopes)
        renewed = self.renew(principal)
        if renewed is None or principal.expires_at is None:
            return principal, None
        return principal, (renewed, int(principal.expires_at - principal.issued_at))

    def forget_refresh(self, token: str) -> bool:
        """Drop the refresh token kept for an SSO token's session (logout)."""
        return self.oidc.forget(token)

    def renew(self, principal: Principal) -> str | None:
        """A fresh session when ``principal``'s has under 5 minutes left (as Argo CD renews)."""
        if not renewal_due(principal, self._clock()) or principal.expires_at is None:
            return None
        return self._session(principal.username, principal.expires_at - principal.issued_at)

    # -- API keys and project tokens ---------------------------------------------------------
    async def create_api_token(self, account: str, expires_in: int = 0, token_id: str = "") -> str:
        """A new API key of ``account`` (``expires_in`` seconds, 0: never), recorded."""
        if expires_in < 0:
            raise InvalidRequest("expires_in must not be negative")
        issued = await writes.add_api_token(
            self.store,
            account,
            clock=self._clock,
            expires_in=expires_in,
            token_id=token_id or str(uuid.uuid4()),
        )
        return issued.token

    async def delete_api_token(self, account: str, token_id: str) -> None:
        """Remove the record: the token stops verifying as soon as the watch delivers it."""
        await writes.remove_api_token(self.store, account, token_id)

    async def create_project_token(
        self, project: str, role: str, expires_in: int = 0, token_id: str = ""
    ) -> str:
        """A ``proj:<project>:<role>`` token, recorded in the AppProject."""
        if expires_in < 0:
            raise InvalidRequest("expires_in must not be negative")
        secret = (await self.store.read_secret(ARGOCD_SECRET)).data.get(k.SERVER_SECRET_KEY, "")
        issued = await writes.add_project_token(
            self.store,
            project,
            role,
            secret=secret.encode(),
            clock=self._clock,
            expires_in=expires_in,
            token_id=token_id or str(uuid.uuid4()),
        )
        return issued.token

    async def delete_project_token(
        self, project: str, role: str, token_id: str = "", issued_at: int = -1
    ) -> bool:
        """Remove the token's record (by id, or by ``iat`` for tokens without one)."""
        return await writes.remove_project_token(
            self.store, project, role, token_id=token_id, issued_at=issued_at
        )

    # -- passwords ---------------------------------------------------------------------------
    async def change_password(
        self, actor: str, current_password: str, new_password: str, account: str = ""
    ) -> None:
        """Set ``account``'s (default: ``actor``'s) password, after checking ``actor``'s current
        one (RBAC for changing someone else's is the caller's). Earlier sessions and API keys of
        the account stop verifying (password mtime)."""
        if actor.startswith(f"{k.PROJECT_SUBJECT_PREFIX}:"):
            raise InvalidRequest("password can only be changed for local users")
        target = account or actor
        try:
            with self.slots.slot():
                await self._check_password(actor, current_password)
        except AuthError:
            raise CurrentPasswordMismatch() from None
        check_policy(new_password, self.config().password_pattern)
        hashed = await asyncio.to_thread(hash_password, new_password, self._cost)
        await writes.set_password(self.store, target, hashed, clock=self._clock)
        log.info("user %s updated the password of account %s", actor, target)


__all__ = ["Authenticator"]
