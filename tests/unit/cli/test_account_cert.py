"""``kapstan account`` and ``kapstan cert`` against the API in process (with the real
local-account service for the account routes): tables as argocd prints them, tokens shown
once, ``can-i``'s yes/no, password changes, known hosts and TLS certificates."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from kapstan.api.context import ApiContext
from kapstan.services.auth.authenticator import Authenticator
from kapstan.services.auth.throttle import ThrottleSettings
from kapstan.testing.api import Rules, api_on
from kapstan.testing.cli import run
from kapstan.testing.fakekube import FakeKube
from tests.unit.api.admin_fixtures import ssh_public_key, tls_certificate
from tests.unit.cli.helpers import Cli
from tests.unit.services.auth.fixtures import ADMIN_PW, live_inputs, seeded

RULES = Rules(allow=[("admin", "*", "*", "*"), ("alice", "applications", "get", "web/*")])


def _accounts(fake: FakeKube) -> object:
    def customize(ctx: ApiContext) -> None:
        ctx.auth = Authenticator(
            ctx.kube, ctx.namespace, live_inputs(fake), throttle=ThrottleSettings(),
            verification_delay=(0.0, 0.0),
        )  # fmt: skip

    return customize


def test_accounts_tokens_and_can_i(tmp_path: Path) -> None:
    fake = seeded()

    async def body() -> None:
        async with api_on(fake, rules=RULES, customize=_accounts(fake)) as api:  # type: ignore[arg-type]
            cli = Cli(api, tmp_path)
            rows = (await cli.ok("account", "list")).splitlines()
            assert rows[0].split() == ["NAME", "ENABLED", "CAPABILITIES"]
            assert any(r.split()[:2] == ["alice", "true"] for r in rows)
            names = (await cli.ok("account", "list", "-o", "name")).split()
            assert "alice" in names
            assert "admin" in names
            items = json.loads(await cli.ok("account", "list", "-o", "json"))
            assert {i["name"] for i in items} == set(names)

            token = (await cli.ok("account", "generate-token", "-a", "alice", "--id", "ci",
                                  "-e", "1h")).strip()  # fmt: skip
            assert token.count(".") == 2
            shown = await cli.ok("account", "get", "--account", "alice")
            assert "Name:" in shown
            assert "alice" in shown
            assert any(line.split()[:1] == ["ci"] for line in shown.splitlines())
            assert token not in shown
            await cli.ok("account", "delete-token", "-a", "alice", "ci")
            assert "NONE" in await cli.ok("account", "get", "-a", "alice")

            info = await cli.ok("account", "get-user-info")
            assert "Logged In: true" in info
            assert "Username: admin" in info
            assert json.loads(await cli.ok("account", "get-user-info", "-o", "json"))[
                "username"] == "admin"  # fmt: skip

            cli.user = "alice"
            assert (await cli.ok("account", "can-i", "get", "applications", "web/x")) == "yes\n"
            # "no" is an answer, not an error: exit 0, as argocd.
            assert (await cli.ok("account", "can-i", "sync", "applications", "web/x")) == "no\n"
            refused = await cli("account", "list")
            assert refused.exit_code == 20
            assert "permission denied" in refused.stderr.lower()
            assert len(refused.stderr.splitlines()) == 1

    asyncio.run(body())


def test_update_password_prompts_and_checks_the_current_one(tmp_path: Path) -> None:
    fake = seeded()

    async def body() -> None:
        async with api_on(fake, rules=RULES, customize=_accounts(fake)) as api:  # type: ignore[arg-type]
            cli = Cli(api, tmp_path)
            wrong = await cli("account", "update-password", "--current-password", "nope",
                              "--new-password", "New-Pa55word-1")  # fmt: skip
            assert wrong.exit_code == 20
            assert len(wrong.stderr.splitlines()) == 1
            mismatch = await cli("account", "update-password", stdin=f"{ADMIN_PW}\na1\na2\n")
            assert mismatch.exit_code == 20
            assert "do not match" in mismatch.stderr
            answers = f"{ADMIN_PW}\nNew-Pa55word-1\nNew-Pa55word-1\n"
            changed = await cli.ok("account", "update-password", stdin=answers)
            assert "Password updated" in changed
            assert ADMIN_PW not in changed
            assert "New-Pa55word-1" not in changed

    asyncio.run(body())


def test_certificates(tmp_path: Path) -> None:
    key = ssh_public_key()
    known = tmp_path / "known_hosts"
    known.write_text(f"# a comment\n\ngit.example,git2.example {key}\n")
    pem = tmp_path / "ca.pem"
    pem.write_text(tls_certificate("git.example"))

    async def body() -> None:
        async with api_on(FakeKube()) as api:
            cli = Cli(api, tmp_path)
            added = await cli.ok("cert", "add-ssh", "--batch", "--from", str(known))
            assert "Successfully created 2 SSH known host entries" in added
            again = await cli.ok("cert", "add-ssh", "--batch", stdin=known.read_text())
            assert "Successfully created 0 SSH known host entries" in again
            tls = await cli.ok("cert", "add-tls", "git.example", "--from", str(pem))
            assert "Created entry with 1 PEM certificates for repository server git.example" in tls
            other = await cli("cert", "add-tls", "git.example", stdin=tls_certificate("x"))
            assert other.exit_code == 20
            assert "upsert" in other.stderr
            await cli.ok("cert", "add-tls", "git.example", "--upsert", stdin=tls_certificate("x"))

            rows = (await cli.ok("cert", "list")).splitlines()
            assert rows[0].split() == ["HOSTNAME", "TYPE", "SUBTYPE", "INFO"]
            assert len(rows) == 4
            ssh_rows = (await cli.ok("cert", "list", "--cert-type", "ssh")).splitlines()[1:]
            assert {r.split()[0] for r in ssh_rows} == {"git.example", "git2.example"}
            assert all(r.split()[1:3] == ["ssh", key.split()[0]] for r in ssh_rows)
            listed = json.loads(await cli.ok("cert", "list", "--hostname-pattern", "git2*",
                                             "-o", "json"))  # fmt: skip
            assert [c["serverName"] for c in listed] == ["git2.example"]

            removed = await cli.ok("cert", "rm", "git.example", "--cert-type", "ssh")
            assert "Removed 1 certificates" in removed
            assert len((await cli.ok("cert", "list")).splitlines()) == 3
            bad = await cli("cert", "add-ssh", "--batch", stdin="host-only\n")
            assert bad.exit_code == 20
            assert "line 1" in bad.stderr

    asyncio.run(body())


def test_project_role_tokens(tmp_path: Path) -> None:
    fake = seeded()  # project web with role ci

    async def body() -> None:
        async with api_on(fake, rules=RULES, customize=_accounts(fake)) as api:  # type: ignore[arg-type]
            cli = Cli(api, tmp_path)
            shown = await cli.ok("proj", "role", "create-token", "web", "ci", "-e", "1h",
                                 "-i", "deploy")  # fmt: skip
            lines = shown.splitlines()
            assert lines[0] == "Create token succeeded for proj:web:ci."
            assert lines[1].split() == ["ID:", "deploy"]
            assert lines[3].startswith("  Expires At: 20")
            token = lines[4].split()[-1]
            assert token.count(".") == 2
            only = (await cli.ok("proj", "role", "create-token", "web", "ci", "-t")).strip()
            assert only.count(".") == 2
            assert "\n" not in only

            rows = (await cli.ok("proj", "role", "list-tokens", "web", "ci", "-u")).splitlines()
            assert rows[0].split() == ["ID", "ISSUED-AT", "EXPIRES-AT"]
            by_id = {r.split()[0]: r.split() for r in rows[1:]}
            assert "deploy" in by_id
            assert by_id["deploy"][2] != "0"
            assert token not in "\n".join(rows)
            await cli.ok("proj", "role", "delete-token", "web", "ci", by_id["deploy"][1])
            left = (await cli.ok("proj", "role", "list-tokens", "web", "ci")).splitlines()[1:]
            assert all(r.split()[0] != "deploy" for r in left)

    asyncio.run(body())


def test_changing_ones_own_password_logs_in_again(tmp_path: Path) -> None:
    fake = seeded()
    env = {"KAPSTAN_CONFIG": str(tmp_path / "config")}
    # The stand-in session service accepts "pw-<user>"; the account service checks ADMIN_PW.
    new = "pw-admin"

    async def body() -> None:
        async with api_on(fake, rules=RULES, customize=_accounts(fake)) as api:  # type: ignore[arg-type]
            server = api.base_url.removeprefix("http://")
            login = ["login", server, "--plaintext", "--username", "admin", "--password", new]
            assert (await asyncio.to_thread(run, login, env=env)).exit_code == 0
            api.tokens.revoked.clear()
            changed = await asyncio.to_thread(
                run,
                ["account", "update-password", "--current-password", ADMIN_PW,
                 "--new-password", new],
                env=env,
            )  # fmt: skip
            assert changed.exit_code == 0, changed.stderr
            assert changed.stdout.splitlines() == [
                "Password updated",
                f"Context '{server}' updated",
            ]
            assert new not in changed.stdout.replace(server, "")

    asyncio.run(body())
