"""``POST /api/webhook`` under hostile input: oversized, deep, mistyped, undecodable and
lying bodies get a 4xx and the server keeps answering; a full queue answers 503."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from kapstan.api.context import ApiContext
from kapstan.services.webhooks.events import Push
from kapstan.services.webhooks.refresher import WebhookQueue
from kapstan.testing.api import ApiHarness, api_on
from tests.unit.api.test_webhook import APPS, fake_with_apps, refreshed_apps

MB = 1024 * 1024
TOO_LARGE = (
    "Webhook processing failed: The payload is either too large or corrupted. Please check "
    "the payload size (must be under {} MB) and ensure it is valid JSON"
)
PUSH = b'{"ref":"refs/heads/main","repository":{"html_url":"https://github.com/acme/apps"}}'


async def exchange(
    api: ApiHarness,
    head: dict[str, str],
    send: Callable[[asyncio.StreamWriter], Awaitable[None]],
    timeout: float = 10.0,
) -> tuple[int | None, bytes]:
    """One raw HTTP/1.1 request (headers, then whatever ``send`` writes, then EOF is awaited:
    the server must close); (status, body), ``None`` when it closed without an answer."""
    host, port = api.base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    lines = ["POST /api/webhook HTTP/1.1", f"Host: {host}", "X-GitHub-Event: push"]
    lines += [f"{k}: {v}" for k, v in head.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    received = bytearray()

    async def receive() -> None:
        # read while sending: a server closing on unread data resets the connection, and
        # bytes not yet read when the reset arrives would be lost
        with contextlib.suppress(ConnectionResetError):
            while chunk := await reader.read(65536):
                received.extend(chunk)

    receiving = asyncio.create_task(receive())
    # the server may answer and close before all of it is sent: that is the point
    with contextlib.suppress(ConnectionResetError, BrokenPipeError):
        await send(writer)
    try:
        await asyncio.wait_for(receiving, timeout)  # until the server closes
    finally:
        writer.close()
    answer = bytes(received)
    if not answer:
        return None, b""
    status_line, _, rest = answer.partition(b"\r\n")
    body = rest.partition(b"\r\n\r\n")[2]
    return int(status_line.split()[1]), body


async def healthy(api: ApiHarness) -> None:
    answer = await api.http.get("/api/version")
    assert answer.status_code == 200


def run(body: Callable[[ApiHarness], Awaitable[None]], cm: dict[str, str] | None = None,
        customize: Callable[[ApiContext], None] | None = None) -> None:  # fmt: skip
    async def go() -> None:
        async with api_on(fake_with_apps({}, cm), customize=customize) as api:
            await body(api)
            await healthy(api)

    asyncio.run(go())


def test_a_60_mb_body_is_refused_by_its_declared_length_before_it_is_read() -> None:
    async def body(api: ApiHarness) -> None:
        async def one_mb(writer: asyncio.StreamWriter) -> None:
            writer.write(b"x" * MB)  # of the 60 declared: the answer must come without the rest
            await writer.drain()

        head = {"Content-Type": "application/json", "Content-Length": str(60 * MB)}
        status, text = await exchange(api, head, one_mb)
        assert (status, text.decode().rstrip("\n")) == (400, TOO_LARGE.format(50))

    run(body)


def test_a_chunked_body_over_the_configured_limit_is_refused_while_reading() -> None:
    async def body(api: ApiHarness) -> None:
        sent = 0

        async def chunks(writer: asyncio.StreamWriter) -> None:
            nonlocal sent
            chunk = b"x" * (256 * 1024)
            for _ in range(60 * 4):  # up to 60 MB, stopped by the server's answer
                if writer.is_closing():
                    return
                writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                await writer.drain()
                sent += len(chunk)
                await asyncio.sleep(0)
            writer.write(b"0\r\n\r\n")

        head = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
        status, text = await exchange(api, head, chunks)
        assert (status, text.decode().rstrip("\n")) == (400, TOO_LARGE.format(1))
        assert sent < 60 * MB  # the connection was dropped long before the end

    run(body, cm={"webhook.maxPayloadSizeMB": "1"})


def test_a_body_under_the_configured_limit_is_accepted() -> None:
    async def body(api: ApiHarness) -> None:
        padding = b" " * (2 * MB)  # whitespace is valid JSON: 2 MB under a 3 MB limit
        answer = await api.http.post(
            "/api/webhook",
            content=PUSH[:-1] + padding + b"}",
            headers={"X-GitHub-Event": "push", "Content-Type": "application/json"},
        )
        assert answer.status_code == 200, answer.text

    run(body, cm={"webhook.maxPayloadSizeMB": "3"})


HOSTILE: list[tuple[str, bytes, str]] = [
    ("deeply nested JSON", b'{"ref":' + b"[" * 200_000 + b"]" * 200_000 + b"}", "invalid JSON"),
    ("invalid UTF-8", b'{"ref":"refs/heads/\xff\xfe","repository":{}}', "invalid JSON"),
    ("wrong types", b'{"ref":"refs/heads/main","repository":{"html_url":7}}', "html_url must"),
    ("commits not a list", b'{"ref":"x","commits":{"a":1}}', "commits must be a list"),
    ("a number", b"12", "not an object"),
    ("NUL bytes", b"\x00" * 64, "invalid JSON"),
]


@pytest.mark.parametrize(("what", "raw", "reason"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_bodies_get_a_400(what: str, raw: bytes, reason: str) -> None:
    async def body(api: ApiHarness) -> None:
        answer = await api.http.post(
            "/api/webhook",
            content=raw,
            headers={"X-GitHub-Event": "push", "Content-Type": "application/json"},
        )
        assert answer.status_code == 400, what
        assert answer.text.startswith("Webhook processing failed: ")
        assert reason in answer.text
        assert await refreshed_apps(api) == []

    run(body)


def test_a_body_shorter_than_its_declared_length_changes_nothing_and_the_server_goes_on() -> None:
    async def body(api: ApiHarness) -> None:
        async def part(writer: asyncio.StreamWriter) -> None:
            writer.write(PUSH[:20])
            await writer.drain()
            writer.write_eof()  # and never the rest

        head = {
            "Content-Type": "application/json",
            "Content-Length": str(len(PUSH) + 100),
            "Connection": "close",
        }
        status, _ = await exchange(api, head, part)
        # the sender hung up mid-body: uvicorn drops the request (nobody to answer) or refuses it
        assert status is None or 400 <= status < 500
        assert await refreshed_apps(api) == []

    run(body)


def test_a_body_longer_than_its_declared_length_is_cut_there_and_refused() -> None:
    async def body(api: ApiHarness) -> None:
        async def all_of_it(writer: asyncio.StreamWriter) -> None:
            writer.write(PUSH)
            await writer.drain()

        head = {"Content-Type": "application/json", "Content-Length": "20"}
        status, _ = await exchange(api, head, all_of_it)
        # 20 bytes are the body (invalid JSON); the rest is no request: either is refused
        assert status is not None
        assert 400 <= status < 500
        assert await refreshed_apps(api) == []

    run(body)


def test_a_full_queue_answers_503() -> None:
    handled: list[Push] = []

    async def handle(push: Push) -> Any:
        handled.append(push)

    def stalled(ctx: ApiContext) -> None:
        ctx.webhooks = WebhookQueue(handle, maxsize=1, workers=0)  # nothing takes pushes out

    async def body(api: ApiHarness) -> None:
        headers = {"X-GitHub-Event": "push", "Content-Type": "application/json"}
        first = await api.http.post("/api/webhook", content=PUSH, headers=headers)
        second = await api.http.post("/api/webhook", content=PUSH, headers=headers)
        assert first.status_code == 200
        assert (second.status_code, second.text) == (
            503,
            "Queue is full, discarding webhook payload\n",
        )
        assert len(api.ctx.mirror.apps()) == len(APPS)

    run(body, customize=stalled)
