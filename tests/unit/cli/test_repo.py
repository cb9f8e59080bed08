"""``kapstan repo`` and ``kapstan repocreds`` against the API in process: what is stored, what
is shown (never a secret), the output formats and the one-line errors."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

import yaml

from kapstan.testing.api import api_on
from kapstan.testing.fakekube import FakeKube
from tests.unit.cli.helpers import Cli

NS = "argocd"
REPO = "https://127.0.0.1:9/org/private.git"
PASSWORD = "planted-repo-password-1"
KEY_TEXT = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\nplanted-ssh-key-2\n-----END OPENSSH PRIVATE KEY-----\n"
)


def _secret_values(fake: FakeKube, kind: str) -> list[dict[str, str]]:
    found = []
    for obj in fake.objects("Secret", namespace=NS):
        labels = obj["metadata"].get("labels") or {}
        if labels.get("argocd.argoproj.io/secret-type") == kind:
            data = obj.get("data") or {}
            found.append({k: base64.b64decode(v).decode() for k, v in data.items()})
    return found


def test_repo_add_list_get_rm_never_shows_secrets(tmp_path: Path) -> None:
    async def body() -> None:
        async with api_on(FakeKube()) as api:
            cli = Cli(api, tmp_path)
            added = await cli.ok(
                "repo", "add", REPO, "--username", "git", "--password", PASSWORD,
                "--project", "default", "--insecure-skip-server-verification",
            )  # fmt: skip
            assert f"Repository '{REPO}' added" in added
            (stored,) = _secret_values(api.fake, "repository")
            assert stored["password"] == PASSWORD
            assert stored["insecure"] == "true"
            assert stored["project"] == "default"

            listed = (await cli.ok("repo", "list")).splitlines()
            assert listed[0].split() == ["TYPE", "NAME", "REPO", "INSECURE", "OCI", "LFS",
                                         "CREDS", "STATUS", "MESSAGE", "PROJECT"]  # fmt: skip
            assert listed[1].split()[:5] == ["git", REPO, "true", "false", "false"]
            assert (await cli.ok("repo", "list", "-o", "url")).split() == [REPO]
            items = json.loads(await cli.ok("repo", "list", "-o", "json"))
            assert [i["repo"] for i in items] == [REPO]
            got = yaml.safe_load(await cli.ok("repo", "get", REPO, "-o", "yaml"))
            assert got["repo"] == REPO
            assert got["username"] == "git"
            for out in (listed, items, got):
                assert PASSWORD not in str(out)

            # The same again is fine, a different one needs --upsert.
            await cli.ok("repo", "add", REPO, "--username", "git", "--password", PASSWORD,
                         "--project", "default", "--insecure-skip-server-verification")  # fmt: skip
            other = await cli("repo", "add", REPO, "--project", "default")
            assert other.exit_code == 20
            assert "use upsert flag" in other.stderr
            assert len(other.stderr.splitlines()) == 1

            assert f"Repository '{REPO}' removed" in await cli.ok("repo", "rm", REPO)
            missing = await cli("repo", "get", REPO)
            assert missing.exit_code == 20
            assert "not found" in missing.stderr

    asyncio.run(body())


def test_password_is_prompted_and_files_are_sent_as_contents(tmp_path: Path) -> None:
    key = tmp_path / "id_ed25519"
    key.write_text(KEY_TEXT)

    async def body() -> None:
        async with api_on(FakeKube()) as api:
            cli = Cli(api, tmp_path)
            await cli.ok("repocreds", "add", "https://127.0.0.1:9/org", "--username", "git",
                         stdin=PASSWORD + "\n")  # fmt: skip
            await cli.ok("repocreds", "add", "git@127.0.0.1:org", "--ssh-private-key-path",
                         str(key))  # fmt: skip
            stored = {v["url"]: v for v in _secret_values(api.fake, "repo-creds")}
            assert stored["https://127.0.0.1:9/org"]["password"] == PASSWORD
            assert stored["git@127.0.0.1:org"]["sshPrivateKey"] == KEY_TEXT

            listed = await cli.ok("repocreds", "list")
            assert listed.splitlines()[0].split() == ["URL", "PATTERN", "USERNAME", "SSH_CREDS",
                                                      "TLS_CREDS"]  # fmt: skip
            assert "planted" not in listed
            assert PASSWORD not in listed
            got = json.loads(await cli.ok("repocreds", "get", "https://127.0.0.1:9/org", "-o",
                                          "json"))  # fmt: skip
            assert got == {"url": "https://127.0.0.1:9/org", "username": "git"}
            assert sorted((await cli.ok("repocreds", "list", "-o", "url")).split()) == [
                "git@127.0.0.1:org", "https://127.0.0.1:9/org"]  # fmt: skip
            await cli.ok("repocreds", "rm", "git@127.0.0.1:org")
            assert len(_secret_values(api.fake, "repo-creds")) == 1

            no_file = await cli("repo", "add", REPO, "--ssh-private-key-path", str(tmp_path / "x"))
            assert no_file.exit_code == 20
            assert "cannot read the SSH private key" in no_file.stderr
            bad_format = await cli("repocreds", "list", "-o", "table")
            assert bad_format.exit_code == 2
            assert "unknown output format" in bad_format.stderr

    asyncio.run(body())
