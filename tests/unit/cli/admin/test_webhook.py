"""``kapstan admin webhook``: the webhook URL and secret set-up for the configured ``url``,
and ``--generate-secret`` writing a random secret into the provider's argocd-secret key
without ever printing it."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from kapstan.testing.cli import run
from kapstan.testing.fakekube import FakeKube


def put_cm(fake: FakeKube, data: dict[str, str]) -> None:
    meta = {"name": "argocd-cm", "namespace": "argocd"}
    fake.put({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data})


def put_secret(fake: FakeKube, data: dict[str, str]) -> None:
    encoded = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
    meta = {"name": "argocd-secret", "namespace": "argocd"}
    fake.put({"apiVersion": "v1", "kind": "Secret", "metadata": meta, "data": encoded})


def secret_data(fake: FakeKube) -> dict[str, str]:
    found: list[dict[str, Any]] = fake.objects("Secret", namespace="argocd")
    secret = next(s for s in found if s["metadata"]["name"] == "argocd-secret")
    return {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}


def test_prints_the_url_and_which_keys_are_set_never_their_values(fake: FakeKube) -> None:
    put_cm(fake, {"url": "https://cd.example.com/"})
    put_secret(fake, {"webhook.github.secret": "gh-s3cret-value", "server.secretkey": "k"})
    result = run(["admin", "webhook", "-n", "argocd"])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Webhook URL: https://cd.example.com/api/webhook\n" in out
    assert "  Secret:  webhook.github.secret in argocd-secret: set\n" in out
    assert "  Secret:  webhook.gitlab.secret in argocd-secret: not set\n" in out
    assert (
        "  URL:     https://cd.example.com/api/webhook?type=dockerhub"
        "&secret=<webhook.dockerhub.secret>\n"
    ) in out
    for title in ("GitHub (and GHCR)", "GitLab", "Bitbucket Cloud", "Azure DevOps", "Harbor",
                  "Quay", "Generic registry push (Kapstan)", "Gitea / Gogs"):  # fmt: skip
        assert f"\n{title}\n" in out
    assert "gh-s3cret-value" not in out + result.stderr
    assert result.stderr == ""


def test_without_a_url_it_warns_and_shows_a_placeholder(fake: FakeKube) -> None:
    result = run(["admin", "webhook"])
    assert result.exit_code == 0, result.stderr
    assert "Webhook URL: https://<kapstan server address>/api/webhook" in result.stdout
    assert "has no url" in result.stderr


def test_generate_secret_writes_a_random_key_and_prints_how_to_read_it(fake: FakeKube) -> None:
    put_cm(fake, {"url": "https://cd.example.com"})
    put_secret(fake, {"server.secretkey": "keep-me"})
    result = run(["admin", "webhook", "--generate-secret", "dockerhub"])
    assert result.exit_code == 0, result.stderr
    data = secret_data(fake)
    generated = data["webhook.dockerhub.secret"]
    assert len(generated) >= 40
    assert data["server.secretkey"] == "keep-me"
    assert generated not in result.stdout + result.stderr
    assert (
        "kubectl -n argocd get secret argocd-secret "
        "-o jsonpath='{.data.webhook\\.dockerhub\\.secret}' | base64 -d"
    ) in result.stdout
    assert "  Secret:  webhook.dockerhub.secret in argocd-secret: set" in result.stdout
    assert "\nGitLab\n" not in result.stdout  # only the chosen provider's set-up

    again = run(["admin", "webhook", "--generate-secret", "dockerhub"])
    assert again.exit_code == 20
    assert "webhook.dockerhub.secret is already set" in again.stderr
    assert secret_data(fake)["webhook.dockerhub.secret"] == generated

    forced = run(["admin", "webhook", "--generate-secret", "dockerhub", "--force"])
    assert forced.exit_code == 0, forced.stderr
    assert secret_data(fake)["webhook.dockerhub.secret"] not in ("", generated)


def test_ghcr_uses_the_github_key_and_a_missing_secret_is_created(fake: FakeKube) -> None:
    result = run(["admin", "webhook", "--generate-secret", "ghcr"])
    assert result.exit_code == 0, result.stderr
    assert set(secret_data(fake)) == {"webhook.github.secret"}


@pytest.mark.parametrize(
    ("provider", "code", "message"),
    [
        ("bitbucket", 20, "webhook.bitbucket.uuid cannot be generated"),
        ("azuredevops", 20, "webhook.azuredevops.username, webhook.azuredevops.password"),
        ("jenkins", 2, "unknown provider 'jenkins'"),
    ],
)
def test_generate_secret_refusals(fake: FakeKube, provider: str, code: int, message: str) -> None:
    result = run(["admin", "webhook", "--generate-secret", provider])
    assert result.exit_code == code
    assert message in result.stderr
    assert not [s for s in fake.objects("Secret", namespace="argocd")
                if s["metadata"]["name"] == "argocd-secret"]  # fmt: skip
