"""``kapstan admin settings validate``: each group parsed by Kapstan's own parsers, Argo CD's
✅/❌ report, exit 1 when something is wrong."""

from __future__ import annotations

import base64
from pathlib import Path

import yaml

from kapstan.testing.cli import run
from kapstan.testing.fakekube import FakeKube

IGNORE_REPLICAS = "resource.customizations.ignoreDifferences.apps_Deployment"


def _cm(tmp_path: Path, data: dict[str, str]) -> str:
    path = tmp_path / "argocd-cm.yaml"
    meta = {"name": "argocd-cm"}
    path.write_text(
        yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data})
    )
    return str(path)


def test_valid_settings_print_every_group_with_a_summary(tmp_path: Path) -> None:
    cm = _cm(
        tmp_path,
        {
            "url": "https://cd.example.com",
            "oidc.config": "name: Okta\nissuer: https://okta\n",
            "accounts.alice": "apiKey, login",
            "kustomize.buildOptions": "--enable-helm",
            "resource.customizations.health.example.com_Widget": "return {status = 'Healthy'}",
            IGNORE_REPLICAS: "jsonPointers: [/spec/replicas]",
        },
    )
    result = run(["admin", "settings", "validate", "--argocd-cm-path", cm])
    assert result.exit_code == 0, result.stdout
    assert result.stdout == (
        "✅ accounts\n2 accounts\n\n"
        "✅ general\nOIDC is configured\n\n"
        "✅ kustomize\n--enable-helm\n\n"
        "✅ resource-overrides\n2 resource overrides\n"
    )


def test_problems_are_listed_under_their_group_and_exit_1(tmp_path: Path) -> None:
    cm = _cm(
        tmp_path,
        {
            "timeout.reconciliation": "soon",
            "dex.config": "- not a mapping",
            "accounts.bob": "login, fly",
            "resource.customizations.ignoreDifferences.apps_Deployment": "jsonPointers: [nope]",
        },
    )
    result = run(["admin", "settings", "validate", "--argocd-cm-path", cm])
    assert result.exit_code == 1
    blocks = {b.splitlines()[0]: b.splitlines()[1:] for b in result.stdout.split("\n\n")}
    assert any("fly" in line for line in blocks["❌ accounts"])
    assert any("timeout.reconciliation" in line for line in blocks["❌ general"])
    assert "invalid dex.config: not a YAML mapping" in blocks["❌ general"]
    assert blocks["✅ kustomize"] == ["default options"]
    assert any("ignoreDifferences" in line for line in blocks["❌ resource-overrides"])


def test_one_group_and_unknown_groups(tmp_path: Path) -> None:
    cm = _cm(tmp_path, {})
    only = run(["admin", "settings", "validate", "--group", "general", "--argocd-cm-path", cm])
    assert only.stdout == "✅ general\nSSO is not configured\n"
    unknown = run(["admin", "settings", "validate", "--group", "plugins", "--argocd-cm-path", cm])
    assert unknown.exit_code == 2
    assert "unknown group 'plugins'" in unknown.stderr


def test_cluster_settings(fake: FakeKube) -> None:
    fake.put(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-cm", "namespace": "argocd"},
            "data": {"accounts.ci": "apiKey", "admin.enabled": "false"},
        }
    )
    secret = {"server.secretkey": base64.b64encode(b"k").decode()}
    fake.put(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "argocd-secret", "namespace": "argocd"},
            "data": secret,
        }
    )
    result = run(
        ["admin", "settings", "validate", "--group", "accounts", "--load-cluster-settings"]
    )
    assert (result.exit_code, result.stdout) == (0, "✅ accounts\n2 accounts\n")


def test_secret_file(tmp_path: Path) -> None:
    cm = _cm(tmp_path, {"accounts.ci": "apiKey"})
    secret = tmp_path / "argocd-secret.yaml"
    meta = {"name": "argocd-secret"}
    secret.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": meta,
                "stringData": {"accounts.ci.tokens": "not json"},
            }
        )
    )
    argv = ["admin", "settings", "validate", "--group", "accounts", "--argocd-cm-path", cm]
    bad_tokens = run([*argv, "--argocd-secret-path", str(secret)])
    assert bad_tokens.exit_code == 1
    assert bad_tokens.stdout.startswith("❌ accounts\n")
    secret.write_text(yaml.safe_dump({"kind": "Secret", "data": {"server.secretkey": "%%%"}}))
    bad_base64 = run([*argv, "--argocd-secret-path", str(secret)])
    assert bad_base64.exit_code == 20
    assert "argocd-secret" in bad_base64.stderr
