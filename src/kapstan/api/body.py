"""Request bodies: size-limited, JSON objects only, known fields only (where the message is
Argo CD's and not a Kubernetes object the API server validates itself)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import orjson
from starlette.requests import Request

from kapstan.api.errors import invalid


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, refused once it passes ``limit`` bytes (counted while reading)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise invalid(f"request body exceeds {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise invalid(f"request body exceeds {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def json_object(
    request: Request, limit: int, known: Collection[str] | None = None
) -> dict[str, Any]:
    """The body as a JSON object; ``known`` lists the fields the message has (others: 400)."""
    raw = await read_limited(request, limit)
    if not raw.strip():
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        raise invalid(f"invalid JSON body: {err.msg} at position {err.pos}") from None
    if not isinstance(data, dict):
        raise invalid("the request body must be a JSON object")
    if known is not None:
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise invalid(f"unknown field(s) in the request body: {', '.join(unknown)}")
    return data


def field_str(data: dict[str, Any], key: str, default: str = "") -> str:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise invalid(f"{key} must be a string")
    return value


def field_bool(data: dict[str, Any], key: str, default: bool = False) -> bool:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise invalid(f"{key} must be true or false")
    return value


__all__ = ["field_bool", "field_str", "json_object", "read_limited"]
