"""Registry pushes reach the server's subscribers (the hook image automation uses) as typed
:class:`RegistryPush` events, once verified; Git pushes and refused deliveries do not."""

from __future__ import annotations

import asyncio
import hashlib
import hmac

import orjson

from kapstan.api.context import ApiContext
from kapstan.services.webhooks.events import RegistryPush
from kapstan.testing.api import api_on
from kapstan.testing.fakes import until
from tests.unit.api.test_webhook import APPS, fake_with_apps

SECRET = "reg-s3cret"
DIGEST = "sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
BODY = orjson.dumps(
    {"registry": "Registry.acme.internal:5000", "repository": "team/web", "tag": "1.4.0",
     "digest": DIGEST}
)  # fmt: skip


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "X-Kapstan-Event": "registry.push",
        "Content-Type": "application/json",
        "X-Kapstan-Signature": f"sha256={digest}",
    }


def test_subscribers_hear_verified_registry_pushes_and_a_failing_one_stops_nobody() -> None:
    heard: list[RegistryPush] = []

    async def broken(push: RegistryPush) -> None:
        raise RuntimeError("subscriber bug")

    async def listen(push: RegistryPush) -> None:
        heard.append(push)

    def subscribe(ctx: ApiContext) -> None:
        ctx.registry_pushes.subscribe(broken)
        ctx.registry_pushes.subscribe(listen)

    async def run() -> None:
        fake = fake_with_apps({"webhook.registry.secret": SECRET})
        async with api_on(fake, customize=subscribe) as api:
            await until("the apps", lambda: len(api.ctx.mirror.apps()) == len(APPS))
            forged = await api.http.post("/api/webhook", content=BODY, headers=signed(BODY, "x"))
            git = await api.http.post(
                "/api/webhook",
                content=b'{"ref":"refs/heads/main","repository":{"html_url":"https://x/y"}}',
                headers={"X-GitHub-Event": "push", "Content-Type": "application/json"},
            )
            good = await api.http.post("/api/webhook", content=BODY, headers=signed(BODY))
            assert [forged.status_code, git.status_code, good.status_code] == [401, 200, 200]
            assert api.ctx.webhooks is not None
            await api.ctx.webhooks.join()
            assert heard == [
                RegistryPush("registry.acme.internal:5000", "team/web", "1.4.0", DIGEST)
            ]
            assert heard[0].oci_url == "oci://registry.acme.internal:5000/team/web"

    asyncio.run(run())
