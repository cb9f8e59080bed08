"""What the token commands share (``proj role create-token``, ``account generate-token``):
Go-style durations for ``-e/--expires-in`` and the claims of a JWT the server issued.

Contract: :func:`seconds` reads ``0``, ``90s``, ``15m``, ``24h``, ``7d``, ``1h30m`` (a bare
number is seconds; ``d`` is 24h as argocd's ``timeutil.ParseDuration``) and raises
:class:`~kapstan.cli.argocd.errors.CommandExit` otherwise. :func:`claims` decodes a JWT's
payload without verifying it (the client only shows ``iat``/``exp``/``jti``; the server is
the one that checks). :func:`when` prints a Unix time as RFC 3339, ``Never`` for 0.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from typing import Any

from kapstan.cli.argocd.errors import CommandExit

_PART = re.compile(r"(\d+)(ms|s|m|h|d)")
_UNIT = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds(raw: str) -> int:
    text = raw.strip()
    if text.isdigit():
        return int(text)
    total, pos = 0.0, 0
    for match in _PART.finditer(text):
        if match.start() != pos:
            break
        total += int(match.group(1)) * _UNIT[match.group(2)]
        pos = match.end()
    if not text or pos != len(text):
        raise CommandExit(20, f"invalid duration {raw!r}: use e.g. 0s, 30m, 24h, 7d")
    return int(total)


def claims(token: str) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        decoded = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, json.JSONDecodeError):
        return {}
    return decoded if isinstance(decoded, dict) else {}


def when(unix: Any) -> str:
    try:
        value = int(unix or 0)
    except (TypeError, ValueError):
        return str(unix)
    if value <= 0:
        return "Never"
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


__all__ = ["claims", "seconds", "when"]
