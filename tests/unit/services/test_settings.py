"""Settings from argocd-cm (table-driven from testdata/settings-*.yaml) and Secret readers."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.services.repositories import read_repositories
from kapstan.services.settings import Settings, SettingsError

TESTDATA = Path(__file__).parent / "testdata"


def _cases() -> list[Any]:
    out = []
    for path in sorted(TESTDATA.glob("settings-*.yaml")):
        for i, case in enumerate(yaml.safe_load_all(path.read_text())):
            out.append(pytest.param(case, id=f"{path.stem}[{i}]"))
    return out


@pytest.mark.parametrize("case", _cases())
def test_settings_from_configmap(case: dict[str, Any]) -> None:
    data = {str(k): str(v) for k, v in (case.get("data") or {}).items()}
    if "error" in case:
        with pytest.raises(SettingsError, match=case["error"].replace(".", r"\.")):
            Settings.from_configmap(data)
        return
    s = Settings.from_configmap(data)
    want = case["expect"]
    simple = {
        "timeout": s.reconciliation_timeout,
        "jitter": s.reconciliation_jitter,
        "tracking": s.tracking_method,
        "instanceLabelKey": s.instance_label_key,
    }
    for key, got in simple.items():
        if key in want:
            assert got == want[key], key
    for group, kind, cluster, allowed in want.get("allows", []):
        assert s.resource_filter.allows(group, kind, cluster) is allowed, (group, kind, cluster)
    if "healthChecks" in want:
        assert [c.key for c in s.health.custom_checks] == want["healthChecks"]
    if "ignoreRules" in want:
        assert [[r.group, r.kind] for r in s.ignore_rules] == want["ignoreRules"]
    if "compareOptions" in want:
        co = s.compare_options
        assert {
            "ignoreAggregatedRoles": co.ignore_aggregated_roles,
            "ignoreResourceStatusField": co.ignore_resource_status_field,
        } == want["compareOptions"]


def test_none_data_is_defaults() -> None:
    assert Settings.from_configmap(None) == Settings.from_configmap({})
    assert Settings.from_configmap(None).reconciliation_timeout == 120


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _secret(secret_name: str, kind: str | None, **values: str) -> dict[str, Any]:
    labels = {"argocd.argoproj.io/secret-type": kind} if kind else {}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": secret_name, "namespace": "argocd", "labels": labels},
        "data": {k: _b64(v) for k, v in values.items()},
    }


def test_read_repositories_and_lookup() -> None:
    secrets = [
        _secret("repo-b", "repository", url="https://git.example.com/org/b.git"),
        _secret(
            "repo-a",
            "repository",
            url="https://git.example.com/org/a.git",
            username="alice",
            password="s3cret-token",
        ),
        _secret("creds", "repo-creds", url="https://git.example.com/org", password="tmpl-pw"),
        _secret("broken", "repository", username="x"),  # no url
        _secret("other", None, url="https://ignored.example.com"),
        _secret("cluster", "cluster", server="https://c.example.com"),
    ]
    repos = read_repositories(secrets, known_hosts="github.com ssh-ed25519 AAAA")
    assert [r.name for r in repos.repositories] == ["repo-a", "repo-b"]
    assert [t.name for t in repos.templates] == ["creds"]
    assert [name for name, _ in repos.errors] == ["broken"]
    assert "no url" in repos.errors[0][1]
    a = repos.credentials("https://git.example.com/org/a")
    assert (a.username, a.password) == ("alice", "s3cret-token")
    b = repos.credentials("https://git.example.com/org/b.git")
    assert b.password == "tmpl-pw"  # repository without credentials: the template's
    assert b.known_hosts == "github.com ssh-ed25519 AAAA"
    assert repos.credentials("https://elsewhere.example.com/x.git").has_credentials is False
    assert "s3cret-token" not in repr(repos)


def test_git_and_helm_lookups_are_apart() -> None:
    secrets = [
        _secret(
            "charts",
            "repository",
            url="http://charts.example.com/stable",
            type="helm",
            name="stable",
            username="helm-user",
            password="helm-pw",
        ),
        _secret(
            "oci",
            "repository",
            url="registry.example.com/charts",
            type="helm",
            enableOCI="true",
            insecureOCIForceHttp="true",
            username="robot",
            password="oci-pw",
        ),
        _secret("oci-creds", "repo-creds", url="registry.example.com", type="helm", password="t"),
        _secret("git", "repository", url="http://charts.example.com/stable", password="git-pw"),
    ]
    repos = read_repositories(secrets)
    helm = repos.helm("http://charts.example.com/stable")
    assert (helm.username, helm.password, helm.enable_oci) == ("helm-user", "helm-pw", False)
    assert repos.credentials("http://charts.example.com/stable").password == "git-pw"
    oci = repos.helm("oci://registry.example.com/charts")
    assert (oci.username, oci.password, oci.enable_oci, oci.plain_http) == (
        "robot",
        "oci-pw",
        True,
        True,
    )
    # Another chart repository of the registry: the repo-creds template's credentials.
    assert repos.helm("oci://registry.example.com/other").password == "t"
    assert repos.helm("https://unknown.example.com").password == ""
    assert "helm-pw" not in repr(repos)
    assert "oci-pw" not in repr(repos)


def test_tls_certificates_by_host() -> None:
    repos = read_repositories(
        [_secret("r", "repository", url="https://git.example.com/org/a.git", password="p")],
        tls_certs={"git.example.com": "-----BEGIN CERTIFICATE-----\nx\n"},
    )
    assert repos.credentials("https://git.example.com/org/a.git").tls_ca_data
    assert repos.credentials("https://other.example.com/a.git").tls_ca_data is None


@pytest.mark.parametrize(
    ("params", "want"),
    [(None, False), ({"controller.diff.server.side": "true"}, True), ({"x": "y"}, False)],
)
def test_server_side_diff_from_cmd_params(params: dict[str, str] | None, want: bool) -> None:
    assert Settings.from_configmap({}).with_params(params).server_side_diff is want


def test_server_side_diff_invalid_value() -> None:
    with pytest.raises(SettingsError, match=r"controller\.diff\.server\.side"):
        Settings.from_configmap({}).with_params({"controller.diff.server.side": "sometimes"})


@pytest.mark.parametrize(
    ("params", "want"),
    [
        (None, False),
        ({"controller.sync.server.side.dry.run": "true"}, True),
        ({"controller.sync.server.side.dry.run": "False"}, False),
        ({"controller.diff.server.side": "true"}, False),
    ],
)
def test_server_dry_run_from_cmd_params(params: dict[str, str] | None, want: bool) -> None:
    assert Settings.from_configmap({}).with_params(params).server_dry_run is want


def test_server_dry_run_invalid_value() -> None:
    with pytest.raises(SettingsError, match=r"controller\.sync\.server\.side\.dry\.run"):
        Settings.from_configmap({}).with_params({"controller.sync.server.side.dry.run": "yes"})


@pytest.mark.parametrize(
    ("params", "want"),
    [
        (None, 0.0),
        ({"controller.reconciledat.interval": "1h"}, 3600.0),
        ({"controller.reconciledat.interval": "90s"}, 90.0),
        ({"controller.reconciledat.interval": ""}, 0.0),
    ],
)
def test_reconciled_at_interval_from_cmd_params(params: dict[str, str] | None, want: float) -> None:
    assert Settings.from_configmap({}).with_params(params).reconciled_at_interval == want


@pytest.mark.parametrize("value", ["soon", "-5m"])
def test_reconciled_at_interval_invalid_value(value: str) -> None:
    with pytest.raises(SettingsError, match=r"controller\.reconciledat\.interval"):
        Settings.from_configmap({}).with_params({"controller.reconciledat.interval": value})
