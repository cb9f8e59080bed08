"""First start on FakeKube: server.secretkey and the initial admin password, idempotent and
safe with two replicas racing (each replica's reads are gated so both read before either
writes: the race is forced, not hoped for)."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Mapping
from typing import Any

import pytest

from kapstan.services.auth.bootstrap import ensure_admin_password, ensure_secret_key
from kapstan.services.auth.errors import AuthStoreError
from kapstan.services.auth.passwords import verify_password
from kapstan.services.auth.store import AuthStore, KubeWriter
from kapstan.testing.fakekube import FakeKube, fake_client
from tests.unit.services.auth.fixtures import cluster, secret_data
from tests.unit.services.auth.helpers import NS, FakeClock, run

SECRET_PATH = f"/api/v1/namespaces/{NS}/secrets/argocd-secret"


class Gated:
    """A client that, after its first read of argocd-secret, waits until every replica has
    read it too."""

    def __init__(self, kube: KubeWriter, barrier: asyncio.Barrier) -> None:
        self.kube = kube
        self.barrier = barrier
        self.waited = False

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return await self.kube.get(path, params)

    async def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        content_type: str | None = None,
    ) -> dict[str, Any]:
        try:
            return await self.kube.request(method, path, params, body, content_type)
        finally:
            if method == "GET" and path == SECRET_PATH and not self.waited:
                self.waited = True
                await self.barrier.wait()


def _conflicts(fake: FakeKube) -> int:
    return sum(1 for r in fake.requests if r.path.startswith(SECRET_PATH[:-14]) and r.code == 409)


@pytest.mark.parametrize("existing", [None, {"webhook.github.secret": "keep-me"}])
def test_secret_key_is_generated_once(existing: dict[str, str] | None) -> None:
    fake = cluster(sec=existing)

    async def body() -> tuple[bool, bool]:
        async with fake_client(fake) as kube:
            store = AuthStore(kube, NS)
            return await ensure_secret_key(store), await ensure_secret_key(store)

    first, second = run(body)
    assert (first, second) == (True, False)
    data = secret_data(fake)
    assert len(base64.b64decode(data["server.secretkey"], validate=True)) == 32
    assert len(data["server.secretkey"]) == 44
    if existing:
        assert data["webhook.github.secret"] == "keep-me"
    else:
        created = fake.get_object("Secret", "argocd-secret", namespace=NS) or {}
        assert created["metadata"]["labels"]["app.kubernetes.io/part-of"] == "argocd"
    assert fake.count("PATCH") + fake.count("POST") == 1  # the second call wrote nothing


def test_an_existing_key_is_kept() -> None:
    fake = cluster(sec={"server.secretkey": "theirs"})

    async def body() -> bool:
        async with fake_client(fake) as kube:
            return await ensure_secret_key(AuthStore(kube, NS))

    assert run(body) is False
    assert secret_data(fake)["server.secretkey"] == "theirs"


@pytest.mark.parametrize("existing", [None, {}], ids=["no Secret yet", "Secret without key"])
def test_two_replicas_racing_keep_one_key(existing: dict[str, str] | None) -> None:
    fake = cluster(sec=existing)

    async def body() -> list[bool]:
        barrier = asyncio.Barrier(2)
        async with fake_client(fake) as a, fake_client(fake) as b:
            stores = [AuthStore(Gated(kube, barrier), NS) for kube in (a, b)]
            return list(await asyncio.gather(*(ensure_secret_key(s) for s in stores)))

    results = run(body)
    assert sorted(results) == [False, True]  # exactly one replica wrote a key
    assert _conflicts(fake) == 1  # the other one's write was refused, and it re-read
    assert secret_data(fake)["server.secretkey"]


def test_initial_admin_password_matches_its_hash_and_is_made_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    fake = cluster(cm={}, sec={})
    clock = FakeClock()

    async def body() -> tuple[bool, bool]:
        async with fake_client(fake) as kube:
            store = AuthStore(kube, NS)
            return (
                await ensure_admin_password(store, clock=clock),
                await ensure_admin_password(store, clock=clock),
            )

    assert run(body) == (True, False)
    data = secret_data(fake)
    initial = secret_data(fake, "argocd-initial-admin-secret")["password"]
    assert verify_password(initial, data["admin.password"])
    assert data["admin.password"].startswith("$2a$10$")
    assert data["admin.passwordMtime"] == "2027-01-15T08:00:00Z"
    assert initial not in caplog.text
    assert "argocd-initial-admin-secret" in caplog.text  # says where to look instead


def test_disabled_admin_gets_no_password() -> None:
    fake = cluster(cm={"admin.enabled": "false"}, sec={})

    async def body() -> bool:
        async with fake_client(fake) as kube:
            return await ensure_admin_password(AuthStore(kube, NS), clock=FakeClock())

    assert run(body) is False
    assert "admin.password" not in secret_data(fake)
    assert fake.get_object("Secret", "argocd-initial-admin-secret", namespace=NS) is None


def test_a_hash_without_mtime_gets_one_and_keeps_the_hash() -> None:
    fake = cluster(cm={}, sec={"admin.password": "$2a$10$existing", "admin.passwordMtime": "?"})

    async def body() -> bool:
        async with fake_client(fake) as kube:
            return await ensure_admin_password(AuthStore(kube, NS), clock=FakeClock())

    assert run(body) is False
    data = secret_data(fake)
    assert data["admin.password"] == "$2a$10$existing"
    assert data["admin.passwordMtime"] == "2027-01-15T08:00:00Z"
    assert fake.get_object("Secret", "argocd-initial-admin-secret", namespace=NS) is None


def test_two_replicas_racing_agree_on_the_admin_password() -> None:
    fake = cluster(cm={}, sec={})

    async def body() -> list[bool]:
        barrier = asyncio.Barrier(2)
        async with fake_client(fake) as a, fake_client(fake) as b:
            stores = [AuthStore(Gated(kube, barrier), NS) for kube in (a, b)]
            runs = (ensure_admin_password(s, clock=FakeClock()) for s in stores)
            return list(await asyncio.gather(*runs))

    assert sorted(run(body)) == [False, True]
    initial = secret_data(fake, "argocd-initial-admin-secret")["password"]
    assert verify_password(initial, secret_data(fake)["admin.password"])


def test_api_errors_name_the_object_and_code_only() -> None:
    fake = cluster(sec={})
    fake.fail(SECRET_PATH, 403, message="secret stuff from the server", times=5)

    async def body() -> None:
        async with fake_client(fake) as kube:
            await ensure_secret_key(AuthStore(kube, NS))

    with pytest.raises(AuthStoreError) as caught:
        run(body)
    assert caught.value.code == 403
    assert "secret argocd-secret" in str(caught.value)
    assert "secret stuff" not in str(caught.value)
    assert caught.value.__cause__ is None
