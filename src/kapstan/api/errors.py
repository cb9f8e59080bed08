"""API errors in grpc-gateway's JSON shape, as Argo CD's API server answers them.

Every error is ``{"error": <message>, "code": <gRPC code>, "message": <message>}`` with the HTTP
status grpc-gateway maps that code to (``codes.PermissionDenied`` 7 → 403,
``Unauthenticated`` 16 → 401, ``NotFound`` 5 → 404, ``InvalidArgument`` 3 → 400, …). Messages
never carry secret values.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response


class Code(IntEnum):
    """gRPC status codes (google.golang.org/grpc/codes)."""

    CANCELED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    UNAUTHENTICATED = 16


# grpc-gateway's HTTPStatusFromCode.
HTTP_STATUS = {
    Code.CANCELED: 499,
    Code.UNKNOWN: 500,
    Code.INVALID_ARGUMENT: 400,
    Code.DEADLINE_EXCEEDED: 504,
    Code.NOT_FOUND: 404,
    Code.ALREADY_EXISTS: 409,
    Code.PERMISSION_DENIED: 403,
    Code.RESOURCE_EXHAUSTED: 429,
    Code.FAILED_PRECONDITION: 400,
    Code.ABORTED: 409,
    Code.UNIMPLEMENTED: 501,
    Code.INTERNAL: 500,
    Code.UNAVAILABLE: 503,
    Code.UNAUTHENTICATED: 401,
}


class ApiError(Exception):
    """An error answered to the client (see the module contract)."""

    def __init__(self, code: Code, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        return HTTP_STATUS[self.code]

    def body(self) -> dict[str, Any]:
        return {"error": self.message, "code": int(self.code), "message": self.message}


def invalid(message: str) -> ApiError:
    return ApiError(Code.INVALID_ARGUMENT, message)


def not_found(message: str) -> ApiError:
    return ApiError(Code.NOT_FOUND, message)


def denied(message: str = "permission denied") -> ApiError:
    return ApiError(Code.PERMISSION_DENIED, message)


def unauthenticated(message: str = "no session information") -> ApiError:
    return ApiError(Code.UNAUTHENTICATED, message)


def exists(message: str) -> ApiError:
    return ApiError(Code.ALREADY_EXISTS, message)


def failed_precondition(message: str) -> ApiError:
    return ApiError(Code.FAILED_PRECONDITION, message)


async def api_error_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return JSONResponse(exc.body(), status_code=exc.status)


__all__ = [
    "HTTP_STATUS",
    "ApiError",
    "Code",
    "api_error_handler",
    "denied",
    "exists",
    "failed_precondition",
    "invalid",
    "not_found",
    "unauthenticated",
]
