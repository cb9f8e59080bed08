"""``kapstan login|logout|context|version`` against the API in process: the local config in
Argo CD's format, the token used by later commands, errors as one line with Argo CD's exit
codes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import yaml

from kapstan.testing.api import api_on
from kapstan.testing.cli import run
from kapstan.testing.fakekube import FakeKube


def test_login_writes_the_config_and_later_commands_use_it(tmp_path: Path) -> None:
    config = tmp_path / "config"
    env = {"KAPSTAN_CONFIG": str(config)}

    async def body() -> None:
        async with api_on(FakeKube()) as api:
            server = api.base_url.removeprefix("http://")
            login = await asyncio.to_thread(
                run,
                ["login", server, "--plaintext", "--username", "alice", "--password", "pw-alice"],
                env=env,
            )
            assert login.exit_code == 0, login.stderr
            assert "'alice' logged in successfully" in login.stdout
            saved = yaml.safe_load(config.read_text())
            assert saved["current-context"] == server
            assert saved["contexts"] == [{"name": server, "server": server, "user": server}]
            assert saved["servers"] == [{"server": server, "plain-text": True}]
            assert saved["users"][0]["auth-token"] == "token-alice"
            assert config.stat().st_mode & 0o777 == 0o600

            version = await asyncio.to_thread(run, ["version", "-o", "json"], env=env)
            assert version.exit_code == 0, version.stderr
            assert '"server"' in version.stdout

            listed = await asyncio.to_thread(run, ["context"], env=env)
            assert listed.stdout.splitlines()[1].split() == ["*", server, server]

            out = await asyncio.to_thread(run, ["logout"], env=env)
            assert out.exit_code == 0, out.stderr
            assert "token-alice" in api.tokens.revoked
            assert "auth-token" not in yaml.safe_load(config.read_text())["users"][0]

            wrong = await asyncio.to_thread(
                run,
                ["login", server, "--plaintext", "--username", "alice", "--password", "nope"],
                env=env,
            )
            assert wrong.exit_code == 20
            assert "Invalid username or password" in wrong.stderr

    asyncio.run(body())


def test_flags_and_environment_choose_the_server_and_token(tmp_path: Path) -> None:
    env = {"KAPSTAN_CONFIG": str(tmp_path / "none")}

    async def body() -> None:
        async with api_on(FakeKube()) as api:
            server = api.base_url.removeprefix("http://")
            # Persistent flags anywhere on the line, as cobra takes them.
            flagged = await asyncio.to_thread(
                run,
                ["version", "--server", server, "--plaintext", "--auth-token", "token-bob"],
                env=env,
            )
            assert flagged.exit_code == 0, flagged.stderr
            from_env = await asyncio.to_thread(
                run,
                ["version", "--plaintext"],
                env={**env, "ARGOCD_SERVER": server, "ARGOCD_AUTH_TOKEN": "token-bob"},
            )
            assert from_env.exit_code == 0, from_env.stderr

    asyncio.run(body())


def test_without_a_server_the_error_says_what_to_do(tmp_path: Path) -> None:
    result = run(["version"], env={"KAPSTAN_CONFIG": str(tmp_path / "none")})
    assert result.exit_code == 20
    assert "not logged in: run kapstan login SERVER" in result.stderr
    unreachable = run(
        ["version", "--server", "127.0.0.1:9", "--plaintext"],
        env={"KAPSTAN_CONFIG": str(tmp_path / "none")},
    )
    assert unreachable.exit_code == 11
    assert "cannot connect" in unreachable.stderr
