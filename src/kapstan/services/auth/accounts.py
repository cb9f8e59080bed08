"""Local accounts, read from ``argocd-cm`` and ``argocd-secret`` data as Argo CD reads them.

Contract of :meth:`Accounts.parse` (both arguments are decoded ``data`` maps):

- ``admin`` always exists: enabled, capability ``login``; its hash, mtime and API keys are
  ``admin.password``, ``admin.passwordMtime`` and ``admin.tokens`` in the Secret, its switch
  ``admin.enabled`` in the ConfigMap;
- every ConfigMap key ``accounts.<name>`` (capabilities, comma separated: ``login``,
  ``apiKey``) or ``accounts.<name>.<suffix>`` declares an account (enabled by default);
  ``accounts.<name>.enabled`` switches it; its Secret keys are ``accounts.<name>.password``,
  ``.passwordMtime`` (RFC 3339) and ``.tokens`` (JSON ``[{id, iat, exp}]``, ``exp`` omitted
  when the key never expires). ``accounts.admin`` / ``accounts.admin.enabled`` apply to admin;
- leniency: a value Kapstan cannot read never fails the whole set. The account it belongs to
  gets a ``problem`` and is treated as disabled (fail closed); the problem names the key, never
  the value, and is listed in :attr:`Accounts.problems`. Argo CD instead rejects every account
  (bad ``.enabled`` or ``.passwordMtime``), ignores the value (bad ``admin.enabled`` or
  ``admin.passwordMtime``) or drops the tokens (bad ``.tokens``); Kapstan disables just the one
  account in all these cases. Unknown capabilities and keys with more dots are skipped and
  reported without disabling anything, as Argo CD does.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from kapstan.services.auth import keys as k


class Capability(StrEnum):
    LOGIN = "login"
    API_KEY = "apiKey"


@dataclass(frozen=True)
class TokenRecord:
    """One API key as recorded in ``accounts.<name>.tokens`` (``expires_at`` 0: never)."""

    id: str
    issued_at: int
    expires_at: int = 0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "iat": self.issued_at}
        if self.expires_at:
            out["exp"] = self.expires_at
        return out


@dataclass(frozen=True)
class Account:
    """A local account; ``usable`` is what login and token checks look at."""

    name: str
    enabled: bool = True
    capabilities: frozenset[Capability] = frozenset()
    password_hash: str = field(default="", repr=False)
    password_mtime: float | None = None  # epoch seconds
    tokens: tuple[TokenRecord, ...] = ()
    problem: str = ""

    @property
    def usable(self) -> bool:
        return self.enabled and not self.problem

    def has(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def token(self, token_id: str) -> TokenRecord | None:
        """The record with ``token_id`` (compared in constant time), if any."""
        found = None
        for record in self.tokens:
            if hmac.compare_digest(record.id.encode(), token_id.encode()):
                found = record
        return found


@dataclass(frozen=True)
class Accounts:
    """Every local account by name, plus what could not be read (see the module contract)."""

    by_name: Mapping[str, Account] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    def get(self, name: str) -> Account | None:
        return self.by_name.get(name)

    @classmethod
    def parse(cls, configmap: Mapping[str, str], secret: Mapping[str, str]) -> Accounts:
        problems: list[str] = []
        accounts = {k.ADMIN: Account(k.ADMIN, capabilities=frozenset({Capability.LOGIN}))}
        if k.ADMIN_ENABLED in configmap:
            accounts[k.ADMIN] = _switch(accounts[k.ADMIN], k.ADMIN_ENABLED, configmap)
        for key in sorted(configmap):
            if not key.startswith(k.ACCOUNTS_PREFIX):
                continue
            parts = key.split(".")
            if len(parts) not in (2, 3) or not parts[1]:
                problems.append(f"{key}: not an account key (accounts.<name>[.<suffix>])")
                continue
            name, suffix = parts[1], parts[2] if len(parts) == 3 else ""
            account = accounts.get(name) or Account(name)
            if suffix == "":
                caps, unknown = _capabilities(configmap[key])
                problems.extend(f"{key}: unknown capability {c!r} skipped" for c in unknown)
                account = replace(account, capabilities=account.capabilities | caps)
            elif suffix == "enabled":
                account = _switch(account, key, configmap)
            accounts[name] = account
        for name, account in accounts.items():
            accounts[name] = _with_secret(account, secret)
        problems.extend(a.problem for a in accounts.values() if a.problem)
        return cls(accounts, tuple(problems))


_BOOLS = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True}
_BOOLS |= {"0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False}


def parse_bool(value: str) -> bool | None:
    """Go's ``strconv.ParseBool``; ``None`` when the value is not one of its spellings."""
    return _BOOLS.get(value)


def _switch(account: Account, key: str, configmap: Mapping[str, str]) -> Account:
    enabled = parse_bool(configmap[key])
    if enabled is None:
        return replace(account, enabled=False, problem=f"{key}: not a boolean")
    return replace(account, enabled=enabled)


def _capabilities(raw: str) -> tuple[frozenset[Capability], list[str]]:
    caps: set[Capability] = set()
    unknown: list[str] = []
    for item in (c.strip() for c in raw.split(",")):
        if item in (Capability.LOGIN.value, Capability.API_KEY.value):
            caps.add(Capability(item))
        elif item:
            unknown.append(item)
    return frozenset(caps), unknown


def _with_secret(account: Account, secret: Mapping[str, str]) -> Account:
    name = account.name
    problem = account.problem
    mtime = None
    raw_mtime = secret.get(k.password_mtime_key(name))
    if raw_mtime is not None:
        try:
            mtime = parse_mtime(raw_mtime)
        except ValueError:
            problem = problem or f"{k.password_mtime_key(name)}: not an RFC 3339 time"
    tokens: tuple[TokenRecord, ...] = ()
    raw_tokens = secret.get(k.tokens_key(name))
    if raw_tokens:
        try:
            tokens = parse_tokens(raw_tokens)
        except ValueError:
            problem = problem or f"{k.tokens_key(name)}: not a JSON list of {{id, iat, exp}}"
    return replace(
        account,
        password_hash=secret.get(k.password_key(name), ""),
        password_mtime=mtime,
        tokens=tokens,
        problem=problem,
    )


_RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


def parse_mtime(value: str) -> float:
    """An RFC 3339 time (as Go's ``time.Parse(time.RFC3339, ...)`` reads it) in epoch seconds."""
    if not _RFC3339.fullmatch(value):
        raise ValueError("not RFC 3339")
    return datetime.fromisoformat(value).timestamp()


def format_mtime(epoch: float) -> str:
    """Go's ``time.Now().UTC().Format(time.RFC3339)``: whole seconds, ``Z``."""
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ValueError("not an integer")
    return int(value)


def parse_tokens(raw: str) -> tuple[TokenRecord, ...]:
    """``[{id, iat, exp}]`` as Argo CD writes it; raises ValueError (without the text)."""
    try:
        items = json.loads(raw)
    except json.JSONDecodeError:
        raise ValueError("invalid JSON") from None
    if items is None:
        return ()
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ValueError("not a list of objects")
    out = []
    for item in items:
        token_id = item.get("id", "")
        if not isinstance(token_id, str):
            raise ValueError("id is not a string")
        out.append(TokenRecord(token_id, _int(item.get("iat", 0)), _int(item.get("exp", 0))))
    return tuple(out)


def format_tokens(tokens: tuple[TokenRecord, ...]) -> str:
    """Compact JSON as Go's ``json.Marshal`` writes it."""
    return json.dumps([t.to_json() for t in tokens], separators=(",", ":"))


__all__ = [
    "Account",
    "Accounts",
    "Capability",
    "TokenRecord",
    "format_mtime",
    "format_tokens",
    "parse_bool",
    "parse_mtime",
    "parse_tokens",
]
