"""Shared helpers of the FakeKube tests: run a body against a fake with a real client."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from kapstan.kube.apply import Writer
from kapstan.kube.client import KubeClient
from kapstan.kube.discovery import Discovery
from kapstan.testing import FakeKube, fake_client

T = TypeVar("T")


def run(fake: FakeKube, body: Callable[[KubeClient], Awaitable[T]], **kw: Any) -> T:
    """``body(kube)`` on a fresh event loop with a real client of ``fake``."""

    async def main() -> T:
        async with fake_client(fake, **kw) as kube:
            return await body(kube)

    return asyncio.run(main())


def writer(kube: KubeClient, manager: str = "kapstan-controller") -> Writer:
    return Writer(kube, Discovery(kube), field_manager=manager)


def configmap(name: str, ns: str = "default", **data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns},
        "data": dict(data),
    }


def deployment(name: str, ns: str = "default", image: str = "nginx:1") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": image}]},
            },
        },
    }


def managers(obj: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(manager, operation) -> fieldsV1 of an object's managedFields."""
    return {
        (e["manager"], e["operation"]): e["fieldsV1"]
        for e in obj["metadata"].get("managedFields") or []
    }


async def eventually(check: Callable[[], bool], timeout: float = 2.0, what: str = "") -> None:
    """Poll ``check`` until it holds (fails after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout}s: {what}")
        await asyncio.sleep(0.005)
