"""The refresh tokens of browser sessions, kept server-side (Argo CD 3.3's background refresh).

Contract of :class:`RefreshStore` (thread-safe; in the memory of one server process, so split
mode with several API replicas needs sticky sessions: docs/sso.md):

- :meth:`keep` records the refresh token a login (or a refresh) got, under :func:`session_key`
  of the ID token: issuer, ``sub`` and ``sid`` (the provider's session, the same across
  refreshes), or, for a provider without ``sid``, the ID token's own digest (re-keyed at each
  refresh). The browser never sees a refresh token; nothing here logs one;
- bounded: a refresh token over :data:`MAX_TOKEN_BYTES` is not kept, at most
  :data:`MAX_ENTRIES` sessions are (the oldest is dropped first), and an entry expires with
  its refresh token (its ``exp`` when the token is a JWT, as Keycloak's are) and after
  :data:`MAX_AGE` at the latest;
- :meth:`get` answers the live entry of a key (``None`` when absent or expired), whose
  ``lock`` serialises the refreshes of one session, so concurrent requests refresh once;
- :meth:`forget` drops a session's entry (logout, a refresh token the provider refused).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kapstan.services.auth.oidc.idtoken import unverified_claims

MAX_TOKEN_BYTES = 8192
MAX_ENTRIES = 10_000
MAX_AGE = 24 * 3600.0  # seconds; Argo CD's default users.session.duration


def session_key(claims: Mapping[str, Any], id_token: str) -> str:
    """The key of the session an ID token belongs to (see the module contract)."""
    base = f"{claims.get('iss', '')}\0{claims.get('sub', '')}\0"
    sid = claims.get("sid")
    if isinstance(sid, str) and sid:
        return base + "sid:" + sid
    return base + "tok:" + hashlib.sha256(id_token.encode()).hexdigest()


@dataclass
class Kept:
    """One session's refresh token and the newest ID token it produced."""

    refresh_token: str = field(repr=False)
    id_token: str = field(repr=False)
    claims: dict[str, Any] = field(repr=False)
    expires: float
    refreshed_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)


def _expiry(refresh_token: str, now: float) -> float:
    exp = unverified_claims(refresh_token).get("exp")
    # Only a bound: the provider still decides whether the token is good.
    if isinstance(exp, int | float) and not isinstance(exp, bool) and exp > 0:
        return min(float(exp), now + MAX_AGE)
    return now + MAX_AGE


class RefreshStore:
    """Refresh tokens by session (see the module contract)."""

    def __init__(
        self, *, clock: Callable[[], float] = time.time, max_entries: int = MAX_ENTRIES
    ) -> None:
        self._clock = clock
        self._max = max_entries
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, Kept] = OrderedDict()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def keep(self, key: str, refresh_token: str, id_token: str, claims: Mapping[str, Any]) -> bool:
        """Record (or replace) a session's refresh token; ``False`` when it is too large."""
        if not refresh_token or len(refresh_token.encode()) > MAX_TOKEN_BYTES:
            return False
        now = self._clock()
        entry = Kept(refresh_token, id_token, dict(claims), _expiry(refresh_token, now), now)
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                entry.lock = old.lock  # a refresh holding the old entry's lock keeps it
            self._entries[key] = entry
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return True

    def renewed(
        self,
        key: str,
        kept: Kept,
        *,
        new_key: str,
        refresh_token: str,
        id_token: str,
        claims: Mapping[str, Any],
    ) -> None:
        """Record a refresh of ``kept`` (held under its ``lock``): updated in place, so requests
        waiting on the lock see the new ID token, and moved to ``new_key``. A provider that
        sent no new refresh token leaves the old one (``refresh_token`` empty or too large)."""
        now = self._clock()
        if refresh_token and len(refresh_token.encode()) <= MAX_TOKEN_BYTES:
            kept.refresh_token = refresh_token
            kept.expires = _expiry(refresh_token, now)
        kept.id_token, kept.claims, kept.refreshed_at = id_token, dict(claims), now
        with self._lock:
            if self._entries.get(key) is kept:
                del self._entries[key]
            self._entries[new_key] = kept
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def get(self, key: str) -> Kept | None:
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and now >= entry.expires:
                del self._entries[key]
                return None
            return entry

    def forget(self, key: str) -> bool:
        with self._lock:
            return self._entries.pop(key, None) is not None


__all__ = ["MAX_AGE", "MAX_ENTRIES", "MAX_TOKEN_BYTES", "Kept", "RefreshStore", "session_key"]
