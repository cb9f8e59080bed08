"""``metav1.Status`` answers: the failure bodies a real API server sends, by reason.

Contract: every failure inside the fake is an :class:`ApiError`; the router turns it into an
HTTP answer whose body is :meth:`ApiError.body`, shaped like the API server's (``kind:
Status``, ``status: Failure``, ``reason``, ``message``, ``details`` with ``name``, ``group``,
``kind`` and ``causes``, ``code``). Messages follow the API server's wording, so code that
matches on them (rare, but it happens) behaves the same.
"""

from __future__ import annotations

from typing import Any

from kapstan.testing.fakekube.kinds import Kind

REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


class ApiError(Exception):
    """A failed request: HTTP ``code``, Status ``reason``, ``message`` and ``details``."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        reason: str = "",
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or REASONS.get(code, "")
        self.details = details
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        if self.details is not None:
            out["details"] = self.details
        out["code"] = self.code
        return out


def _details(kind: Kind, name: str, **extra: Any) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name}
    if kind.group:
        details["group"] = kind.group
    details["kind"] = kind.plural
    details.update(extra)
    return details


def success(kind: Kind, name: str, uid: str) -> dict[str, Any]:
    """The Status a DELETE answers when the object is gone at once."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": _details(kind, name, uid=uid),
    }


def not_found(kind: Kind, name: str) -> ApiError:
    return ApiError(404, f'{kind.resource} "{name}" not found', details=_details(kind, name))


def no_route() -> ApiError:
    return ApiError(404, "the server could not find the requested resource", details={})


def already_exists(kind: Kind, name: str) -> ApiError:
    return ApiError(
        409,
        f'{kind.resource} "{name}" already exists',
        reason="AlreadyExists",
        details=_details(kind, name),
    )


def conflict(kind: Kind, name: str, why: str) -> ApiError:
    return ApiError(
        409,
        f'Operation cannot be fulfilled on {kind.resource} "{name}": {why}',
        details=_details(kind, name),
    )


STALE = (
    "the object has been modified; please apply your changes to the latest version and try again"
)


def invalid(kind: Kind, name: str, causes: list[tuple[str, str]]) -> ApiError:
    """422 for ``(field, message)`` causes, worded like apimachinery's field errors."""
    text = ", ".join(f"{f}: {m}" for f, m in causes)
    if len(causes) > 1:
        text = f"[{text}]"
    details = {
        "name": name,
        **({"group": kind.group} if kind.group else {}),
        "kind": kind.kind,
        "causes": [{"reason": "FieldValueInvalid", "message": m, "field": f} for f, m in causes],
    }
    return ApiError(422, f'{kind.kind} "{name}" is invalid: {text}', details=details)


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def expired(message: str) -> ApiError:
    return ApiError(410, message, reason="Expired")
