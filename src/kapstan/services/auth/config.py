"""What authentication reads from the settings objects, parsed once per settings version.

Contract:

- :class:`AuthInputs` is the raw material: the decoded ``data`` of ``argocd-cm`` and of
  ``argocd-secret``. The API server builds it from its watched settings (see
  :func:`inputs_from_snapshot`: :class:`~kapstan.services.watched.SettingsSnapshot` carries the
  Secret but not the raw ConfigMap data, so the caller passes that);
- :meth:`AuthConfig.parse` never raises. A value it cannot use falls back to Argo CD's default
  or, for accounts, disables the one account (:mod:`.accounts`); each such case is listed in
  :attr:`AuthConfig.problems`, naming the key, never the value;
- ``users.session.duration`` is read as Argo CD reads it (``<n>s|m|h|d``, e.g. ``12h``,
  ``7d``; default 24h; an unreadable value keeps the default); ``0s`` issues sessions without
  ``exp``, as Argo CD does;
- ``passwordPattern`` (default ``^.{8,32}$``) is searched, not full-matched, as Go's
  ``MatchString``; an invalid pattern refuses every new password (:mod:`.passwords`);
- ``users.anonymous.enabled`` is on only for the exact string ``true`` (as in Argo CD);
- ``server.secretkey``: the HMAC key is the bytes of the value as stored (Argo CD does not
  base64-decode it); empty or absent means "not bootstrapped yet".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from kapstan.services.auth import keys as k
from kapstan.services.auth.accounts import Accounts
from kapstan.services.watched import SettingsSnapshot

_SESSION_DURATION = re.compile(r"(\d+)([smhd])")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class AuthInputs:
    """The decoded ``data`` of ``argocd-cm`` and ``argocd-secret``."""

    configmap: Mapping[str, str] = field(default_factory=dict)
    secret: Mapping[str, str] = field(default_factory=dict, repr=False)


def inputs_from_snapshot(snapshot: SettingsSnapshot, configmap: Mapping[str, str]) -> AuthInputs:
    """Inputs from a watched snapshot's ``secret`` plus the raw ``argocd-cm`` data."""
    return AuthInputs(configmap=configmap, secret=snapshot.secret)


@dataclass(frozen=True)
class AuthConfig:
    """Parsed authentication settings (see the module contract)."""

    accounts: Accounts = field(default_factory=Accounts)
    secret_key: bytes = field(default=b"", repr=False)
    session_seconds: int = k.DEFAULT_SESSION_SECONDS
    password_pattern: str = k.DEFAULT_PASSWORD_PATTERN
    anonymous_enabled: bool = False
    problems: tuple[str, ...] = ()

    @classmethod
    def parse(cls, inputs: AuthInputs) -> AuthConfig:
        cm, secret = inputs.configmap, inputs.secret
        problems: list[str] = []
        accounts = Accounts.parse(cm, secret)
        problems.extend(accounts.problems)
        session = k.DEFAULT_SESSION_SECONDS
        raw = cm.get(k.SESSION_DURATION)
        if raw is not None:
            match = _SESSION_DURATION.fullmatch(raw)
            if match:
                session = int(match[1]) * _UNIT[match[2]]
            else:
                problems.append(f"{k.SESSION_DURATION}: expected <n>s|m|h|d; using 24h")
        return cls(
            accounts=accounts,
            secret_key=secret.get(k.SERVER_SECRET_KEY, "").encode(),
            session_seconds=session,
            password_pattern=cm.get(k.PASSWORD_PATTERN) or k.DEFAULT_PASSWORD_PATTERN,
            anonymous_enabled=cm.get(k.ANONYMOUS_ENABLED) == "true",
            problems=tuple(problems),
        )


__all__ = ["AuthConfig", "AuthInputs", "inputs_from_snapshot"]
