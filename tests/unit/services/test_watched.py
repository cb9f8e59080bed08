"""WatchedSettings on FakeKube: argocd-cm, cmd params and repository Secrets followed by
watches; an invalid argocd-cm keeps the previous settings and says why; subscribers see each
change; values never show in the snapshot's repr."""

from __future__ import annotations

import asyncio
import base64
import logging
from typing import Any

import pytest

from kapstan.services.snapshots import InMemorySnapshots, Snapshot
from kapstan.services.watched import SettingsSnapshot, WatchedSettings
from kapstan.testing.fakekube import FakeKube, fake_client
from kapstan.testing.fakes import until

NS = "argocd"


def _cm(name: str, data: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": NS},
        "data": data,
    }


def _repo(password: str) -> dict[str, Any]:
    values = {"url": "https://git.example/org/app.git", "username": "u", "password": password}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "repo",
            "namespace": NS,
            "labels": {"argocd.argoproj.io/secret-type": "repository"},
        },
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in values.items()},
    }


def test_settings_follow_the_objects(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeKube(namespaces=("default", NS))
    fake.put(_cm("argocd-cm", {"timeout.reconciliation": "30s"}))
    fake.put(_repo("first-Pa55"))
    seen: list[SettingsSnapshot] = []

    async def body() -> None:
        async with fake_client(fake) as kube:
            watched = WatchedSettings(kube, NS)
            watched.subscribe(lambda _old, new: seen.append(new))
            await watched.start()
            try:
                now = watched.current
                assert now.settings.reconciliation_timeout == 30
                assert now.repositories.credentials("https://git.example/org/app").password == (
                    "first-Pa55"
                )
                assert "first-Pa55" not in repr(now)
                fake.edit("Secret", "repo", NS, change={"data": _repo("second-Pa55")["data"]})
                await until(
                    "the new password",
                    lambda: (
                        watched.current.repositories.credentials(
                            "https://git.example/org/app"
                        ).password
                        == "second-Pa55"
                    ),
                )
                fake.edit(
                    "ConfigMap",
                    "argocd-cm",
                    NS,
                    change={"data": {"timeout.reconciliation": "soon"}},
                )
                await until("the problem", lambda: watched.current.problems)
                assert watched.current.settings.reconciliation_timeout == 30  # kept
                assert "timeout.reconciliation: invalid duration" in watched.current.problems[0]
                fake.put(_cm("argocd-cmd-params-cm", {"controller.diff.server.side": "true"}))
                fake.edit(
                    "ConfigMap", "argocd-cm", NS, change={"data": {"timeout.reconciliation": "1m"}}
                )
                await until(
                    "the fix", lambda: watched.current.settings.reconciliation_timeout == 60
                )
                assert watched.current.settings.server_side_diff is True
                assert watched.current.problems == ()
            finally:
                await watched.stop()

    with caplog.at_level(logging.WARNING, logger="kapstan"):
        asyncio.run(body())
    assert len([r for r in caplog.records if "invalid duration" in r.getMessage()]) == 1
    assert seen  # every change reached the subscriber
    assert all("Pa55" not in r.getMessage() for r in caplog.records)


def test_snapshot_store_keeps_the_newest() -> None:
    async def body() -> None:
        store = InMemorySnapshots()
        await store.put(
            Snapshot.of("argocd", "a", "2026-01-02T00:00:00Z", "new", {"nodes": []}, ())
        )
        await store.put(Snapshot("argocd", "a", "2026-01-01T00:00:00Z", revision="old"))
        found = await store.get("argocd", "a")
        assert found is not None
        assert found.revision == "new"
        await store.delete("argocd", "a")
        assert await store.get("argocd", "a") is None

    asyncio.run(body())
