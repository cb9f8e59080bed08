"""Cancelling a call never leaves a socket for the garbage collector, even when it is cancelled
in the middle of the TLS handshake (a real TCP server that never answers the ClientHello)."""

from __future__ import annotations

import asyncio
import gc
import warnings

import pytest

from kapstan.kube.client import KubeClient
from kapstan.kube.config import ClusterConfig


def test_cancel_during_tls_handshake_closes_the_socket() -> None:
    async def main() -> None:
        handshaking = asyncio.Event()
        writers: list[asyncio.StreamWriter] = []

        async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writers.append(writer)
            handshaking.set()
            await reader.read()  # swallow the ClientHello; ends when either side closes

        server = await asyncio.start_server(silent, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            config = ClusterConfig(server=f"https://127.0.0.1:{port}", token="tok")
            async with KubeClient(config) as kube:
                call = asyncio.create_task(kube.get("/api"))
                await asyncio.wait_for(handshaking.wait(), 10)
                await asyncio.sleep(0.1)  # the ClientHello is out: the client waits for a reply
                call.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await call
            for writer in writers:
                writer.close()
                await writer.wait_closed()

    asyncio.run(main())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        gc.collect()
    assert [str(w.message) for w in caught] == []
