"""No password, hash, token or signing key in any error or log line, on every error path."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from kapstan.services.auth import Authenticator, AuthError, ThrottleSettings
from kapstan.testing.fakekube import fake_client
from tests.unit.services.auth.fixtures import (
    ADMIN_PW,
    ALICE_PW,
    KEY,
    authenticator,
    secret_data,
    seeded,
)
from tests.unit.services.auth.helpers import FakeClock, run

FIXED_SECRETS = (KEY, ADMIN_PW, ALICE_PW, "wrong-Pa55word", "new-Pa55word")


def _tampered(token: str) -> list[str]:
    header, payload, signature = token.split(".")
    return [
        f"{header}.{payload}.{signature[::-1]}",
        f"{header}.{payload}",
        f"{payload}.{header}.{signature}",
        token + "x",
    ]


async def _every_error_path(
    auth: Authenticator, fake: Any, errors: list[BaseException], secrets: list[str]
) -> None:
    """Provoke every error the facade raises; collect them, and the secrets made meanwhile."""

    async def expect(call: Any) -> None:
        try:
            result = call()
            if hasattr(result, "__await__"):
                await result
        except AuthError as err:
            errors.append(err)
        else:
            raise AssertionError("no error")

    session = await auth.login("alice", ALICE_PW)
    api_key = await auth.create_api_token("carol", token_id="k1")
    project_token = await auth.create_project_token("web", "ci", token_id="p1")
    secrets.extend([session, api_key, project_token])
    secrets.extend(v for k, v in secret_data(fake).items() if k.endswith("password"))
    for user, password in [("alice", "wrong-Pa55word"), ("dave", "wrong-Pa55word")]:
        await expect(lambda u=user, p=password: auth.login(u, p))
    await expect(lambda: auth.login("bob", "bob-Pa55word"))
    await expect(lambda: auth.login("carol", "carol-Pa55word"))
    await expect(lambda: auth.login(ALICE_PW * 3, ALICE_PW))  # a pasted password
    for _ in range(5):
        await expect(lambda: auth.login("alice", "wrong-Pa55word"))  # the last ones: throttled
    for token in [session, api_key, project_token]:
        for bad in _tampered(token):
            await expect(lambda b=bad: auth.verify(b))
    await expect(lambda: auth.verify(project_token))  # unknown project (no lookup)
    await auth.delete_api_token("carol", "k1")
    await expect(lambda: auth.verify(api_key))
    await expect(lambda: auth.change_password("carol", "wrong-Pa55word", "new-Pa55word"))
    await expect(lambda: auth.change_password("admin", ADMIN_PW, "x"))
    await expect(lambda: auth.create_api_token("carol", token_id="k2", expires_in=-5))
    await expect(lambda: auth.delete_api_token("carol", "k1"))
    await expect(lambda: auth.create_project_token("web", "nope"))
    fake.fail("/api/v1/namespaces/argocd/secrets/argocd-secret", 500, message=KEY)
    await expect(lambda: auth.create_api_token("carol"))


def test_no_secret_in_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fake = seeded()
    errors: list[BaseException] = []
    secrets = list(FIXED_SECRETS)

    async def body() -> None:
        async with fake_client(fake) as kube:
            throttle = ThrottleSettings(max_failures=5)
            auth = authenticator(fake, kube, FakeClock(), throttle=throttle)
            await _every_error_path(auth, fake, errors, secrets)

    run(body)
    assert len(errors) >= 30
    kinds = {type(e).__name__ for e in errors}
    assert kinds >= {
        "InvalidCredentials",
        "TooManyAttempts",
        "AccountDisabled",
        "MissingCapability",
        "InvalidRequest",
        "InvalidToken",
        "CurrentPasswordMismatch",
        "PasswordPolicyError",
        "NotFound",
        "AuthStoreError",
    }
    for err in errors:
        text = " ".join([str(err), repr(err), *map(str, err.args)])
        assert err.__cause__ is None, repr(err)
        assert err.__context__ is None or err.__suppress_context__, repr(err)
        for secret in secrets:
            assert secret not in text, (type(err).__name__, text)
    for secret in secrets:
        assert secret not in caplog.text
