"""Settings from argocd-cm (table-driven from testdata/settings-*.yaml) and Secret readers."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.controller.settings import (
    Settings,
    SettingsError,
    read_clusters,
    read_repositories,
)

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
        "labelTracking": s.label_tracking,
        "annotationTracking": s.annotation_tracking,
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
            "ignoreDifferencesOnResourceUpdates": co.ignore_differences_on_resource_updates,
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


def test_read_clusters() -> None:
    config = json.dumps(
        {"bearerToken": "tok-123", "tlsClientConfig": {"insecure": True, "serverName": "api"}}
    )
    secrets = [
        _secret("prod", "cluster", server="https://prod.example.com/", name="prod", config=config),
        {
            "metadata": {"name": "dev", "labels": {"argocd.argoproj.io/secret-type": "cluster"}},
            "stringData": {"server": "https://dev.example.com", "name": "dev"},
        },
        _secret("prod-again", "cluster", server="https://prod.example.com", config=config),
        _secret("bad-json", "cluster", server="https://x.example.com", config="{nope"),
        _secret("no-server", "cluster", name="n"),
        _secret("a-repo", "repository", url="https://git.example.com/r.git"),
    ]
    clusters = read_clusters(secrets)
    assert sorted(clusters.by_server) == ["https://dev.example.com", "https://prod.example.com"]
    prod = clusters.by_server["https://prod.example.com"]
    assert (prod.name, prod.token, prod.insecure, prod.tls_server_name) == (
        "prod",
        "tok-123",
        True,
        "api",
    )
    dev = clusters.by_name("dev")
    assert dev is not None
    assert dev.server == "https://dev.example.com"
    assert clusters.by_name("missing") is None
    errors = dict(clusters.errors)
    assert set(errors) == {"bad-json", "no-server", "prod-again"}
    assert "duplicate" in errors["prod-again"]
    assert "tok-123" not in repr(clusters)
