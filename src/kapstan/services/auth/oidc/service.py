"""Direct OIDC (argocd-cm ``oidc.config``), as Argo CD's server does it.

Contract of :class:`OidcService`:

- the configuration is re-read from argocd-cm on every call (parsed again only when the data
  changed), so an edit applies without a restart; a configuration error is logged once and
  makes SSO unavailable (:meth:`config` answers ``None``, :meth:`require` raises it);
- :meth:`login` and :meth:`callback` are the browser's flow (:mod:`.flow`); the callback
  returns the provider's ID token, which the API sets as the ``argocd.token`` cookie, as Argo
  CD does: every later request presents it and :meth:`verify` validates it against the
  issuer's keys (:mod:`.idtoken`; key rotation followed by :class:`~.provider.Provider`);
- :meth:`verify` turns claims into a :class:`~kapstan.services.auth.tokens.Principal` whose
  user is the claims' user identifier and whose groups are the values of the claims that
  argocd-rbac-cm ``scopes`` names (``[groups]`` by default); a named claim the provider's
  tokens lack is logged once ("unknown group claim"), never with the token;
- without ``oidc.config``, a ``dex.config`` with connectors makes the bundled Dex the provider
  (issuer ``<url>/api/dex``, :func:`kapstan.services.auth.dex.login.oidc_config`), reached
  at ``dex_server`` (``kapstan server --dex-server``), as Argo CD's server does;
- browser sessions are refreshed (:meth:`verify_renewing`, Argo CD 3.3's
  ``refreshTokenThreshold``): the callback keeps the provider's refresh token server-side
  (:class:`~.refresh.RefreshStore`); a request whose ID token has less than the threshold
  left, or expired less than :data:`EXPIRED_GRACE` ago, gets new tokens from the token
  endpoint, validated as a login's (without nonce), and the new ID token as its renewal. A
  failed refresh is logged (never a token) and the presented token keeps its own verdict;
  a revoked token is never refreshed; :meth:`forget` (logout) drops the refresh token;
- ``clientSecret`` references are resolved at the exchange (:func:`.config.secret_reference`);
  a missing Secret or key, or a Secret without the ``app.kubernetes.io/part-of: argocd``
  label, stops the login with a message naming them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode

from kapstan.engine.rbac import subjects_for, user_identifier
from kapstan.model.vocabulary import ARGOCD_SECRET
from kapstan.services.auth.dex import login as dex_login
from kapstan.services.auth.errors import AuthConfigError, AuthError, InvalidToken, Rejection
from kapstan.services.auth.oidc import flow, idtoken
from kapstan.services.auth.oidc.config import OidcConfig, parse_oidc, secret_reference
from kapstan.services.auth.oidc.provider import Provider, ProviderError
from kapstan.services.auth.oidc.refresh import RefreshStore, session_key
from kapstan.services.auth.store import SecretState
from kapstan.services.auth.tokens import Principal, PrincipalKind

log = logging.getLogger(__name__)

PART_OF = "app.kubernetes.io/part-of"
ReadSecret = Callable[[str], Awaitable[SecretState]]
EXPIRED_GRACE = 300.0  # seconds: an ID token expired this recently may still be refreshed
MIN_INTERVAL = 10.0  # seconds between refreshes of one session (a threshold over the lifetime)
Renewal = tuple[str, int]  # a refreshed ID token and its seconds left


class OidcService:
    """The direct-OIDC provider of the server (see the module contract)."""

    def __init__(
        self,
        configmap: Callable[[], Mapping[str, str]],
        secret_key: Callable[[], bytes],
        read_secret: ReadSecret,
        *,
        clock: Callable[[], float] = time.time,
        provider_factory: Callable[[str, str], Provider] = Provider,
        dex_server: str = "",
    ) -> None:
        self._cm = configmap
        self._secret_key = secret_key
        self._read_secret = read_secret
        self._clock = clock
        self._factory = provider_factory
        self._dex_server = dex_server
        self._dex_issuer = ""
        self._seen: tuple[Mapping[str, str], bytes] | None = None
        self._config: OidcConfig | None = None
        self._error: AuthConfigError | None = None
        self._providers: dict[tuple[str, str], Provider] = {}
        self._warned: set[str] = set()
        self.refreshes = RefreshStore(clock=clock)
        # The client secret resolved at the last login: refreshes run in a worker thread,
        # where the (async) Secret read is out of reach; every kept refresh token comes from
        # a login of this process, which resolved it.
        self._resolved_secret: dict[str, str] = {}

    # -- configuration -----------------------------------------------------------------------
    def _parse(self) -> None:
        cm = self._cm()
        key = self._secret_key()  # the Dex client's secret is derived from it
        if self._seen is not None and cm is self._seen[0] and key == self._seen[1]:
            return
        self._seen = (cm, key)
        try:
            config = parse_oidc(cm)
            dex = dex_login.oidc_config(cm, key) if config is None else None
            self._dex_issuer = dex.issuer if dex is not None else ""
            self._config, self._error = config or dex, None
        except AuthConfigError as err:
            self._config, self._error = None, err
            log.warning("SSO is off: %s", err)

    def config(self) -> OidcConfig | None:
        self._parse()
        return self._config

    def require(self) -> OidcConfig:
        self._parse()
        if self._error is not None:
            raise self._error
        if self._config is None:
            raise AuthConfigError("SSO is not configured (argocd-cm oidc.config or dex.config)")
        return self._config

    def provider(self, config: OidcConfig) -> Provider:
        key = (config.issuer, config.root_ca)
        found = self._providers.get(key)
        if found is None:
            if self._dex_server and config.issuer == self._dex_issuer:
                client = dex_login.dex_client(config.issuer, self._dex_server)
                found = Provider(config.issuer, client=client)
            else:
                found = self._factory(config.issuer, config.root_ca)
            self._providers[key] = found
        return found

    def uses_dex(self) -> bool:
        """Whether the login goes through the bundled Dex (``dex.config``, no ``oidc.config``)."""
        self._parse()
        return bool(self._dex_issuer) and self._config is not None

    def close(self) -> None:
        for provider in self._providers.values():
            provider.close()

    def _warn_once(self, message: str) -> None:
        if message not in self._warned:
            self._warned.add(message)
            log.warning("%s", message)

    # -- tokens --------------------------------------------------------------------------------
    def handles(self, claims: Mapping[str, Any]) -> bool:
        """Whether a token with these (unverified) claims is this provider's to verify."""
        config = self.config()
        return config is not None and claims.get("iss") == config.issuer

    def verify(self, token: str, scopes: Sequence[str]) -> Principal:
        """The principal of a valid ID token; raises :class:`InvalidToken`."""
        config = self.require()
        try:
            claims = self.validate(config, token)
        except idtoken.OidcTokenError as err:
            raise InvalidToken(Rejection.ID_TOKEN, str(err)) from None
        except ProviderError as err:
            raise InvalidToken(Rejection.ID_TOKEN, f"cannot check it: {err}") from None
        return self.principal(claims, scopes)

    def validate(
        self,
        config: OidcConfig,
        token: str,
        nonce: str | None = None,
        *,
        exchanged: bool = False,
        expiry_grace: float = 0.0,
    ) -> dict[str, Any]:
        provider = self.provider(config)
        # Only the callback (it knows a nonce) and a refresh take a token straight from the
        # token endpoint: see Provider.key.
        exchanged = exchanged or nonce is not None

        def key(kid: str) -> Any:
            return provider.key(kid, exchanged=exchanged)

        return idtoken.validate(
            token,
            issuer=config.issuer,
            audiences=config.audiences,
            keys=key,
            now=self._clock(),
            nonce=nonce,
            expiry_grace=expiry_grace,
        )

    # -- refreshing browser sessions -----------------------------------------------------------
    def verify_renewing(
        self, token: str, scopes: Sequence[str], is_revoked: Callable[[str], bool]
    ) -> tuple[Principal, Renewal | None]:
        """The principal of a valid ID token, refreshed when due (module contract); raises
        :class:`InvalidToken`. Synchronous: call it off the event loop."""
        config = self.require()
        try:
            claims = self.validate(config, token, expiry_grace=EXPIRED_GRACE)
        except idtoken.OidcTokenError as err:
            raise InvalidToken(Rejection.ID_TOKEN, str(err)) from None
        except ProviderError as err:
            raise InvalidToken(Rejection.ID_TOKEN, f"cannot check it: {err}") from None
        jti = claims.get("jti")
        if isinstance(jti, str) and jti and is_revoked(jti):
            raise InvalidToken(Rejection.REVOKED, user_identifier(claims))
        left = float(claims["exp"]) - self._clock()
        expired = left < -idtoken.CLOCK_SKEW
        due = expired or left < config.refresh_token_threshold
        renewed = self._refresh(config, token, claims, expired) if due else None
        if renewed is None:
            if expired:
                raise InvalidToken(Rejection.ID_TOKEN, "token expired")
            return self.principal(claims, scopes), None
        new_token, new_claims = renewed
        seconds = max(int(float(new_claims["exp"]) - self._clock()), 1)
        return self.principal(new_claims, scopes), (new_token, seconds)

    def _refresh(
        self, config: OidcConfig, token: str, claims: dict[str, Any], expired: bool
    ) -> tuple[str, dict[str, Any]] | None:
        key = session_key(claims, token)
        kept = self.refreshes.get(key)
        if kept is None:
            return None
        who = user_identifier(claims)
        with kept.lock:
            now = self._clock()
            newest = float(kept.claims["exp"])
            if kept.id_token != token and newest > float(claims["exp"]):
                if newest + idtoken.CLOCK_SKEW >= now:
                    return kept.id_token, kept.claims  # another request refreshed the session
                expired = True  # the newer token has expired as well: refresh now
            if not expired and now - kept.refreshed_at < MIN_INTERVAL:
                return None
            try:
                new_token, new_claims, refresh_token = self._redeem(config, kept.refresh_token)
            except AuthError as err:
                if isinstance(err, flow.LoginFlowError):
                    self.refreshes.forget(key)  # the provider refused it: it is of no more use
                log.warning("SSO session of %s not refreshed: %s", who, err)
                return None
            if new_claims.get("sub") != claims.get("sub"):
                self.refreshes.forget(key)
                log.warning(
                    "SSO session of %s not refreshed: the new token is for another sub", who
                )
                return None
            self.refreshes.renewed(
                key,
                kept,
                new_key=session_key(new_claims, new_token),
                refresh_token=refresh_token,
                id_token=new_token,
                claims=new_claims,
            )
        log.info("SSO session of %s refreshed", who)
        return new_token, new_claims

    def _redeem(self, config: OidcConfig, refresh_token: str) -> tuple[str, dict[str, Any], str]:
        secret = config.client_secret
        if secret_reference(secret) is not None:
            if secret not in self._resolved_secret:
                raise ProviderError("the clientSecret reference was not resolved by a login yet")
            secret = self._resolved_secret[secret]
        provider = self.provider(config)
        tokens = flow.refresh(
            provider.client,
            config,
            provider.discovery(),
            refresh_token=refresh_token,
            client_secret=secret,
        )
        claims = self.validate(config, tokens.id_token, exchanged=True)
        return tokens.id_token, claims, tokens.refresh_token

    def forget(self, token: str) -> bool:
        """Drop the refresh token of ``token``'s session (logout); the token's signature must
        verify (an expired one is fine), so no one can end another's session by a claim."""
        config = self.config()
        if config is None or not self.handles(idtoken.unverified_claims(token)):
            return False
        try:
            claims = self.validate(config, token, expiry_grace=float("inf"))
        except AuthError:
            return False
        return self.refreshes.forget(session_key(claims, token))

    def principal(self, claims: Mapping[str, Any], scopes: Sequence[str]) -> Principal:
        for scope in scopes:
            if scope not in claims:
                self._warn_once(
                    f"unknown group claim: ID tokens of {claims.get('iss')} have no claim "
                    f"{scope!r} (argocd-rbac-cm scopes); their users get no groups from it"
                )
        subjects = subjects_for(claims, scopes)
        jti, iat, exp = claims.get("jti"), claims.get("iat"), claims.get("exp")
        return Principal(
            username=user_identifier(claims),
            kind=PrincipalKind.SSO,
            token_id=jti if isinstance(jti, str) else "",
            issued_at=int(iat) if isinstance(iat, int | float) else 0,
            expires_at=int(exp) if isinstance(exp, int | float) else None,
            groups=tuple(subjects[1:]),
            claims=dict(claims),
        )

    # -- the browser's flow --------------------------------------------------------------------
    async def login(self, return_url: str) -> tuple[str, str]:
        """``(authorization URL, oauthstate cookie value)`` for a new login."""
        config = self.require()
        secret = self._server_secret()
        discovery = await asyncio.to_thread(self.provider(config).discovery)
        pending, url = flow.begin(config, discovery, return_url, self._clock())
        return url, flow.seal(pending, secret)

    async def callback(self, code: str, state: str, cookie: str) -> tuple[str, str, int]:
        """``(ID token, return URL, seconds until it expires)``; raises
        :class:`~.flow.LoginFlowError`, :class:`~.provider.ProviderError`,
        :class:`AuthConfigError` or :class:`~.idtoken.OidcTokenError`."""
        config = self.require()
        pending = flow.unseal(cookie, self._server_secret(), self._clock())
        if not state or state != pending.state:
            raise flow.LoginFlowError("state mismatch: this callback is not for your login")
        if not code:
            raise flow.LoginFlowError("the provider sent no code")
        client_secret = await self._client_secret(config)
        self._resolved_secret[config.client_secret] = client_secret
        provider = self.provider(config)
        discovery = await asyncio.to_thread(provider.discovery)
        tokens = await asyncio.to_thread(
            flow.exchange,
            provider.client,
            config,
            discovery,
            code=code,
            verifier=pending.verifier,
            client_secret=client_secret,
        )
        token = tokens.id_token
        claims = await asyncio.to_thread(self.validate, config, token, pending.nonce)
        if tokens.refresh_token and not self.refreshes.keep(
            session_key(claims, token), tokens.refresh_token, token, claims
        ):
            log.warning(
                "SSO: the refresh token of %s is too large to keep", user_identifier(claims)
            )
        seconds = max(int(float(claims["exp"]) - self._clock()), 0)
        return token, pending.return_url, seconds

    async def logout_url(self, id_token: str, redirect: str) -> str:
        """Where the browser goes after a local logout: ``logoutURL`` with ``{{token}}`` and
        ``{{logoutRedirectURL}}`` filled in (Argo CD's placeholders), else the provider's
        ``end_session_endpoint``, else ``redirect``."""
        config = self.config()
        if config is None:
            return redirect
        if config.logout_url:
            return config.logout_url.replace("{{token}}", quote(id_token, safe="")).replace(
                "{{logoutRedirectURL}}", quote(redirect, safe="")
            )
        try:
            discovery = await asyncio.to_thread(self.provider(config).discovery)
        except AuthError:  # logging out must work when the provider is down
            log.warning("SSO logout: the provider's discovery is unavailable")
            return redirect
        if not discovery.end_session_endpoint:
            return redirect
        query = {"post_logout_redirect_uri": redirect, "client_id": config.client_id}
        if id_token:
            query["id_token_hint"] = id_token
        return discovery.end_session_endpoint + "?" + urlencode(query)

    def _server_secret(self) -> bytes:
        secret = self._secret_key()
        if not secret:
            raise AuthConfigError("server.secretkey is not set")
        return secret

    async def _client_secret(self, config: OidcConfig) -> str:
        ref = secret_reference(config.client_secret)
        if ref is None:
            return config.client_secret
        name, key = ref
        found = await self._read_secret(name or ARGOCD_SECRET)
        where = f"Secret {name or ARGOCD_SECRET}"
        if not found.exists:
            raise AuthConfigError(f"oidc.config clientSecret: {where} does not exist")
        if name and found.labels.get(PART_OF) != "argocd":
            raise AuthConfigError(
                f"oidc.config clientSecret: {where} lacks the label {PART_OF}=argocd"
            )
        value = found.data.get(key)
        if not value:
            raise AuthConfigError(f"oidc.config clientSecret: {where} has no key {key}")
        return value


__all__ = ["OidcService"]
