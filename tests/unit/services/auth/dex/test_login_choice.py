"""Which provider the server's SSO login uses: ``oidc.config`` when it is there (Argo CD
ignores ``dex.config`` then), else the bundled Dex of ``dex.config``, reached at
``--dex-server`` instead of ``<url>/api/dex``."""

from __future__ import annotations

import httpx2
import pytest

from kapstan.services.auth.oidc import OidcService
from kapstan.services.auth.store import SecretState

URL = "https://cd.example.com"
DEX = "connectors: [{type: ldap, id: ldap, name: LDAP, config: {host: 'ldap:389'}}]\n"
OIDC = "name: Keycloak\nissuer: https://idp.example.com/realms/x\nclientID: kapstan\n"


async def _no_secret(name: str) -> SecretState:
    return SecretState(name)


def service(cm: dict[str, str], dex_server: str = "http://127.0.0.1:5556") -> OidcService:
    return OidcService(lambda: cm, lambda: b"key", _no_secret, dex_server=dex_server)


@pytest.mark.parametrize(
    ("cm", "issuer", "dex"),
    [
        ({"url": URL, "dex.config": DEX}, f"{URL}/api/dex", True),
        (
            {"url": URL, "dex.config": DEX, "oidc.config": OIDC},
            "https://idp.example.com/realms/x",
            False,
        ),
        ({"url": URL}, None, False),
    ],
)
def test_the_login_provider(cm: dict[str, str], issuer: str | None, dex: bool) -> None:
    found = service(cm)
    config = found.config()
    assert (config.issuer if config else None) == issuer
    assert found.uses_dex() is dex


def test_the_server_reaches_dex_at_the_dex_server_not_through_its_url() -> None:
    seen: list[str] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        seen.append(str(request.url))
        return httpx2.Response(
            200,
            json={
                "issuer": f"{URL}/api/dex",
                "authorization_endpoint": f"{URL}/api/dex/auth",
                "token_endpoint": f"{URL}/api/dex/token",
                "jwks_uri": f"{URL}/api/dex/keys",
            },
        )

    found = service({"url": URL, "dex.config": DEX}, dex_server="http://127.0.0.1:5599")
    config = found.config()
    assert config is not None
    provider = found.provider(config)
    transport = provider.client._transport  # the rewriting transport around a real one
    transport._inner = httpx2.MockTransport(answer)  # type: ignore[attr-defined]
    assert provider.discovery().token_endpoint == f"{URL}/api/dex/token"
    assert seen == ["http://127.0.0.1:5599/api/dex/.well-known/openid-configuration"]
    with pytest.raises(Exception, match="not under the Dex issuer"):
        provider.client.get("https://elsewhere.example.com/api/dex/keys")
