"""The client's network (kapstan.kube.network) against a real TLS socket server on loopback:
connections are kept alive and reused, one the server closed while idle is not, a server
that stops answering is a timeout, and a large answer arrives whole."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import orjson
import pytest

from kapstan.kube.client import KubeClient, RetryPolicy
from kapstan.kube.config import ClusterConfig
from kapstan.kube.errors import Timeout
from kapstan.runtime.tls import self_signed

Handler = Callable[[bytes], bytes | None]  # request head -> body to answer, None: stay silent


class Server:
    def __init__(self) -> None:
        self.connections = 0
        self.writers: list[asyncio.StreamWriter] = []


@asynccontextmanager
async def tls_server(tmp_path: Path, answer: Handler) -> AsyncIterator[tuple[Server, int, bytes]]:
    pair = self_signed(("127.0.0.1",))
    (tmp_path / "c.pem").write_bytes(pair.cert_pem)
    (tmp_path / "k.pem").write_bytes(pair.key_pem)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
    state = Server()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state.connections += 1
        state.writers.append(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                await reader.readexactly(length)
                body = answer(head)
                if body is None:
                    await asyncio.sleep(3600)
                    return
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    + f"content-length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    async with server:
        try:
            yield state, port, pair.cert_pem
        finally:
            for writer in state.writers:
                writer.close()


def client(port: int, ca: bytes, timeout: float = 30.0) -> KubeClient:
    config = ClusterConfig(server=f"https://127.0.0.1:{port}", ca_data=ca, token="tok")
    return KubeClient(config, timeout=timeout, retry=RetryPolicy(max_attempts=1))


def test_requests_share_one_kept_alive_tls_connection(tmp_path: Path) -> None:
    async def main() -> None:
        async with tls_server(tmp_path, lambda head: b'{"kind":"Status"}') as (state, port, ca):
            async with client(port, ca) as kube:
                for _ in range(5):
                    assert await kube.get("/api") == {"kind": "Status"}
            assert state.connections == 1

    asyncio.run(main())


def test_a_connection_the_server_closed_while_idle_is_not_reused(tmp_path: Path) -> None:
    async def main() -> None:
        async with tls_server(tmp_path, lambda head: b"{}") as (state, port, ca):
            async with client(port, ca) as kube:
                assert await kube.get("/api") == {}
                state.writers[0].close()  # the API server restarts, say
                await asyncio.sleep(0.2)
                assert await kube.get("/api") == {}
            assert state.connections == 2

    asyncio.run(main())


def test_a_server_that_stops_answering_is_a_timeout(tmp_path: Path) -> None:
    async def main() -> None:
        async with (
            tls_server(tmp_path, lambda head: None) as (_state, port, ca),
            client(port, ca, timeout=0.5) as kube,
        ):
            with pytest.raises(Timeout, match="ReadTimeout"):
                await kube.get("/api")

    asyncio.run(main())


def test_a_large_answer_arrives_whole(tmp_path: Path) -> None:
    """More than the read buffer's limit: reading pauses and resumes the socket."""
    items = [{"metadata": {"name": f"cm-{i}"}, "data": {"x": "y" * 1000}} for i in range(1500)]
    big = orjson.dumps({"kind": "ConfigMapList", "items": items})

    async def main() -> None:
        async with (
            tls_server(tmp_path, lambda head: big) as (_state, port, ca),
            client(port, ca) as kube,
        ):
            got = await kube.get("/api/v1/configmaps")
            assert len(got["items"]) == 1500
            assert got["items"][-1]["metadata"]["name"] == "cm-1499"

    asyncio.run(main())
