"""The client's HTTP/1.1 (kapstan.kube.http11) against a scripted server on loopback: how
answers are framed decides whether a connection is reused (testdata/http11_answers.yaml); a
watch's events arrive as the server sends them, split across reads or several in one; a watch
left before its end does not hand its connection to the next request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.kube.client import KubeClient, RetryPolicy
from kapstan.kube.config import ClusterConfig
from kapstan.kube.errors import KubeError

CASES = yaml.safe_load((Path(__file__).parent / "testdata" / "http11_answers.yaml").read_text())


class Script:
    """What the server sends: ``answers`` in turn, each bytes or a coroutine function writing
    to the stream itself; counts the connections it accepted."""

    def __init__(self, answers: list[Any]) -> None:
        self.answers = list(answers)
        self.connections = 0


@asynccontextmanager
async def server(script: Script) -> AsyncIterator[str]:
    writers: list[asyncio.StreamWriter] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        script.connections += 1
        writers.append(writer)
        try:
            while script.answers:
                await reader.readuntil(b"\r\n\r\n")  # GETs only: no request body
                answer = script.answers.pop(0)
                if callable(answer):
                    await answer(writer)
                    return
                writer.write(answer["raw"].encode())
                await writer.drain()
                if answer.get("close"):
                    return
            await reader.read()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    listening = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    async with listening:
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            for writer in writers:
                writer.close()


def client(url: str, timeout: float = 10.0) -> KubeClient:
    config = ClusterConfig(server=url, token="tok")
    return KubeClient(config, timeout=timeout, retry=RetryPolicy(max_attempts=1))


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_answer_framing_decides_reuse(case: dict[str, Any]) -> None:
    script = Script(case["answers"])

    async def main() -> list[Any]:
        results: list[Any] = []
        async with server(script) as url, client(url) as kube:
            for _ in case["answers"]:
                try:
                    results.append(await kube.get("/api/v1/namespaces/x"))
                except KubeError as err:
                    results.append(str(err))
        return results

    got = asyncio.run(main())
    for result, want in zip(got, case["results"], strict=True):
        if isinstance(want, str):
            assert isinstance(result, str)
            assert want in result
        else:
            assert result == want
    assert script.connections == case["connections"]


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def test_watch_events_arrive_as_sent_and_a_left_watch_gives_up_its_connection() -> None:
    sent = asyncio.Event()
    first = b'{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n'
    second = b'{"type":"MODIFIED","object":{"metadata":{"name":"a"}}}\n'
    third = b'{"type":"DELETED","object":{"metadata":{"name":"a"}}}\n'

    async def watch(writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        writer.write(_chunk(first[:10]))  # one event over two reads
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(_chunk(first[10:]))
        await writer.drain()
        await sent.wait()  # the stream stays open: the client must not wait for its end
        writer.write(_chunk(second + third))  # two events in one read
        await writer.drain()
        await asyncio.sleep(3600)

    after = {"raw": 'HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n{"n": 1}'}
    script = Script([watch, after])

    async def main() -> tuple[list[str], dict[str, Any]]:
        kinds: list[str] = []
        async with server(script) as url, client(url) as kube:
            async for event in kube.watch("/api/v1/configmaps"):
                kinds.append(event.type)
                if len(kinds) == 1:
                    sent.set()
                if len(kinds) == 3:
                    break
            return kinds, await kube.get("/api/v1/namespaces/x")

    kinds, answer = asyncio.run(main())
    assert kinds == ["ADDED", "MODIFIED", "DELETED"]
    assert answer == {"n": 1}
    assert script.connections == 2  # the watch's connection was not reused mid-stream
