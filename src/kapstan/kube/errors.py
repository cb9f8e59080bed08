"""Errors raised by the Kubernetes adapter, built from the API server's ``Status`` object.

Contract: every non-2xx answer becomes a :class:`KubeError` subclass chosen by HTTP code
(404 :class:`NotFound`, 409 :class:`Conflict`, 403 :class:`Forbidden`, 401
:class:`Unauthorized`, 422 :class:`Invalid`, 410 :class:`Gone`, 429 :class:`TooManyRequests`,
5xx :class:`ServerError`; anything else the base class). The message names the verb, the path,
the ``reason`` and the server's ``message``; it never contains credentials (requests carry
them in headers, which are not part of the message).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Cause:
    """One entry of ``Status.details.causes``: which field failed validation and why."""

    field: str
    reason: str
    message: str


class KubeError(Exception):
    """A failed Kubernetes API call."""

    def __init__(
        self,
        message: str,
        *,
        code: int = 0,
        reason: str = "",
        verb: str = "",
        path: str = "",
        status: Mapping[str, Any] | None = None,
        causes: tuple[Cause, ...] = (),
    ) -> None:
        super().__init__(message)
        self._extra_causes = causes
        self.code = code
        self.reason = reason
        self.verb = verb
        self.path = path
        self.status: Mapping[str, Any] = status or {}

    @property
    def causes(self) -> tuple[Cause, ...]:
        """The ``details.causes`` of the Status (field-level validation errors)."""
        details = self.status.get("details")
        raw = details.get("causes") if isinstance(details, Mapping) else None
        if not isinstance(raw, list):
            return self._extra_causes
        return self._extra_causes + tuple(
            Cause(
                field=str(c.get("field", "")),
                reason=str(c.get("reason", "")),
                message=str(c.get("message", "")),
            )
            for c in raw
            if isinstance(c, Mapping)
        )


class NotFound(KubeError):
    """404: the object (or its resource type) does not exist."""


class Conflict(KubeError):
    """409: already exists, stale resourceVersion, or a server-side apply field conflict."""


class Forbidden(KubeError):
    """403: RBAC denied the request."""


class Unauthorized(KubeError):
    """401: the credentials were rejected."""


class Invalid(KubeError):
    """422: validation failed; :attr:`causes` names the offending fields."""

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(c.field for c in self.causes if c.field)


class Gone(KubeError):
    """410: the requested resourceVersion is too old (re-list and watch again)."""


class TooManyRequests(KubeError):
    """429: the server throttled us (retried by the client before surfacing)."""


class ServerError(KubeError):
    """5xx: the server failed (retried by the client before surfacing)."""


class Timeout(KubeError):
    """The request did not complete in time, or the connection kept failing."""


_BY_CODE: dict[int, type[KubeError]] = {
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    410: Gone,
    422: Invalid,
    429: TooManyRequests,
}


def error_class(code: int) -> type[KubeError]:
    """The exception class for an HTTP status code."""
    if code in _BY_CODE:
        return _BY_CODE[code]
    if 500 <= code <= 599:
        return ServerError
    return KubeError


# The API server answers a server-side apply of an undeclared field with a 500 whose message
# names the field ("failed to create typed patch object (...): .spec.bogus: field not declared
# in schema"), and strict decoding with a 400 ('strict decoding error: unknown field "spec.x"').
# Both are the caller's fault and never succeed on retry, so they become Invalid.
_TYPED_PATCH = re.compile(r"(?:^|: )(\.[^\s:]+): field not declared in schema")
_STRICT = re.compile(r'unknown field "([^"]+)"')


def _schema_causes(code: int, message: str) -> tuple[Cause, ...]:
    if code == 500 and "failed to create typed patch object" in message:
        found = _TYPED_PATCH.findall(message)
    elif code == 400 and "strict decoding error" in message:
        found = _STRICT.findall(message)
    else:
        return ()
    return tuple(
        Cause(field=f.lstrip("."), reason="FieldValueInvalid", message=message) for f in found
    )


def from_status(
    code: int, status: Mapping[str, Any] | None, *, verb: str = "", path: str = ""
) -> KubeError:
    """Build the error for an HTTP ``code`` and (possibly missing) ``Status`` body."""
    body: Mapping[str, Any] = status if isinstance(status, Mapping) else {}
    if body.get("kind") == "Status" and isinstance(body.get("code"), int) and body["code"]:
        code = int(body["code"]) if code in (0, 200) else code
    reason = str(body.get("reason") or "")
    message = str(body.get("message") or "") or f"HTTP {code}"
    where = " ".join(p for p in (verb.upper(), path) if p)
    text = f"{where}: {reason + ': ' if reason else ''}{message}" if where else message
    causes = _schema_causes(code, message)
    cls: type[KubeError] = Invalid if causes else error_class(code)
    return cls(text, code=code, reason=reason, verb=verb, path=path, status=body, causes=causes)
