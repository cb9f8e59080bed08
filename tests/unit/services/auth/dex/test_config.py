"""argocd-cm ``dex.config`` rendered into Dex's configuration as Argo CD's ``argocd-dex
rundex`` renders it: the expected documents below are what Argo CD v3 produces for the same
argocd-cm (its GenerateDexConfigYAML), apart from the listen addresses (Argo CD: 0.0.0.0:5556
plus gRPC and telemetry ports; Kapstan: the one address ``kapstan dex`` is given) and the
CLI client's extra ``http://127.0.0.1:8085/auth/callback`` (where ``kapstan login --sso``
listens; Dex accepts only the exact URIs a client names).

GitHub, GitLab, Microsoft and LinkedIn cannot be reached from the test machines, so their
connectors are proven here: Kapstan passes them through with Dex's callback as
``redirectURI`` and their secrets resolved, exactly as Argo CD does."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from kapstan.services.auth.dex.config import (
    client_secret,
    connector_summary,
    dex_settings,
    references,
    render,
    unresolved,
)
from kapstan.services.auth.dex.login import oidc_config
from kapstan.services.auth.errors import AuthConfigError

URL = "https://cd.example.com"
KEY = b"abc"
# base64url(sha256("abc"))[:40]: sha256("abc") is the FIPS 180-2 test vector ba7816bf...
DERIVED = "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIA"
SECRETS = {
    ("", "dex.github.clientSecret"): "gh-secret",
    ("", "dex.ldap.bindPW"): " ldap-pw\n",  # values are trimmed, as Argo CD trims them
    ("gitlab-sso", "clientSecret"): "gl-secret",
}


def lookup(secret: str, key: str) -> str | None:
    return SECRETS.get((secret, key))


def ours(*extra_redirects: str) -> list[dict[str, Any]]:
    return [
        {
            "id": "argo-cd",
            "name": "Argo CD",
            "secret": DERIVED,
            "redirectURIs": [f"{URL}/auth/callback", *extra_redirects],
        },
        {
            "id": "argo-cd-cli",
            "name": "Argo CD CLI",
            "public": True,
            "redirectURIs": [
                "http://localhost",
                "http://localhost:8085/auth/callback",
                "http://127.0.0.1:8085/auth/callback",  # kapstan login --sso's (Argo CD: none)
            ],
        },
    ]


BASE = {
    "issuer": f"{URL}/api/dex",
    "storage": {"type": "memory"},
    "web": {"http": "127.0.0.1:5556"},
    "oauth2": {"skipApprovalScreen": True},
}

GITHUB = """
connectors:
- type: github
  id: github
  name: GitHub
  config:
    clientID: aabbccddeeff00112233
    clientSecret: $dex.github.clientSecret
    orgs:
    - name: your-github-org
"""
GITLAB_AND_MICROSOFT = """
connectors:
- type: gitlab
  id: gitlab
  name: GitLab
  config:
    baseURL: https://gitlab.example.com
    clientID: gl-id
    clientSecret: $gitlab-sso:clientSecret
    groups: [platform]
- type: microsoft
  id: microsoft
  name: Microsoft
  config:
    clientID: ms-id
    clientSecret: $dex.microsoft.clientSecret
    tenant: contoso.onmicrosoft.com
- type: linkedin
  id: linkedin
  name: LinkedIn
  config:
    clientID: li-id
    clientSecret: literal-secret
"""
LDAP_WITH_OWN_CLIENT = """
connectors:
- type: ldap
  id: ldap
  name: LDAP
  config:
    host: ldap.example.com:636
    bindDN: cn=admin,dc=example,dc=com
    bindPW: $dex.ldap.bindPW
staticClients:
- id: grafana
  name: Grafana
  secret: grafana-secret
  redirectURIs: [https://grafana.example.com/login/generic_oauth]
staticPasswords:
- email: admin@example.com
  hash: "$2a$10$2b2cU8CPhOTaGrs1HRQuAueS7JTT5ZHsHSzYiFPm1leZck7Mc8T4W"
  username: admin
oauth2:
  responseTypes: [code]
"""

CASES = [
    pytest.param(
        {"url": URL, "dex.config": GITHUB},
        {
            **BASE,
            "staticClients": ours(),
            "connectors": [
                {
                    "type": "github",
                    "id": "github",
                    "name": "GitHub",
                    "config": {
                        "clientID": "aabbccddeeff00112233",
                        "clientSecret": "gh-secret",
                        "orgs": [{"name": "your-github-org"}],
                        "redirectURI": f"{URL}/api/dex/callback",
                    },
                }
            ],
        },
        ["$dex.github.clientSecret"],
        id="github: secret resolved, Dex's callback as redirectURI",
    ),
    pytest.param(
        {
            "url": URL + "/",
            "dex.config": GITLAB_AND_MICROSOFT,
            "additionalUrls": "[https://cd.internal.example.com]",
        },
        {
            **BASE,
            "staticClients": ours("https://cd.internal.example.com/auth/callback"),
            "connectors": [
                {
                    "type": "gitlab",
                    "id": "gitlab",
                    "name": "GitLab",
                    "config": {
                        "baseURL": "https://gitlab.example.com",
                        "clientID": "gl-id",
                        "clientSecret": "gl-secret",
                        "groups": ["platform"],
                        "redirectURI": f"{URL}/api/dex/callback",
                    },
                },
                {
                    "type": "microsoft",
                    "id": "microsoft",
                    "name": "Microsoft",
                    "config": {
                        "clientID": "ms-id",
                        "clientSecret": "$dex.microsoft.clientSecret",  # unknown: as written
                        "tenant": "contoso.onmicrosoft.com",
                        "redirectURI": f"{URL}/api/dex/callback",
                    },
                },
                {
                    "type": "linkedin",
                    "id": "linkedin",
                    "name": "LinkedIn",
                    "config": {
                        "clientID": "li-id",
                        "clientSecret": "literal-secret",
                        "redirectURI": f"{URL}/api/dex/callback",
                    },
                },
            ],
        },
        ["$dex.microsoft.clientSecret", "$gitlab-sso:clientSecret"],
        id="gitlab, microsoft, linkedin; additionalUrls; a labelled Secret's key",
    ),
    pytest.param(
        {"url": URL, "dex.config": LDAP_WITH_OWN_CLIENT},
        {
            **BASE,
            "oauth2": {"responseTypes": ["code"], "skipApprovalScreen": True},
            "staticClients": [
                *ours(),
                {
                    "id": "grafana",
                    "name": "Grafana",
                    "secret": "grafana-secret",
                    "redirectURIs": ["https://grafana.example.com/login/generic_oauth"],
                },
            ],
            "staticPasswords": [
                {
                    "email": "admin@example.com",
                    "hash": "$2a$10$2b2cU8CPhOTaGrs1HRQuAueS7JTT5ZHsHSzYiFPm1leZck7Mc8T4W",
                    "username": "admin",
                }
            ],
            "connectors": [
                {
                    "type": "ldap",
                    "id": "ldap",
                    "name": "LDAP",
                    "config": {  # no redirectURI: the LDAP form is Dex's own
                        "host": "ldap.example.com:636",
                        "bindDN": "cn=admin,dc=example,dc=com",
                        "bindPW": "ldap-pw",
                    },
                }
            ],
        },
        ["$dex.ldap.bindPW"],
        id="ldap: own clients kept after Kapstan's, bcrypt hashes are no references",
    ),
]


@pytest.mark.parametrize(("cm", "expected", "refs"), CASES)
def test_dex_config_renders_as_argo_cd_renders_it(
    cm: dict[str, str], expected: dict[str, Any], refs: list[str]
) -> None:
    settings = dex_settings(cm)
    assert settings is not None
    rendered = render(settings, KEY, lookup, http="127.0.0.1:5556")
    assert rendered == expected
    assert sorted(f"${s}:{k}" if s else f"${k}" for s, k in references(settings.config)) == refs
    assert yaml.safe_load(yaml.safe_dump(rendered)) == rendered  # what Dex is given


def test_unresolved_names_the_references_no_secret_holds() -> None:
    settings = dex_settings({"url": URL, "dex.config": GITLAB_AND_MICROSOFT})
    assert settings is not None
    assert unresolved(settings.config, lookup) == ["$dex.microsoft.clientSecret"]


def test_the_client_secret_is_derived_from_the_server_key_as_argo_cd_derives_it() -> None:
    assert client_secret(KEY) == DERIVED
    assert client_secret(b"other") != DERIVED


@pytest.mark.parametrize(
    "cm",
    [
        pytest.param({"dex.config": GITHUB}, id="no url"),
        pytest.param({"url": URL}, id="no dex.config"),
        pytest.param({"url": URL, "dex.config": "  \n"}, id="blank"),
        pytest.param({"url": URL, "dex.config": "staticClients: []\n"}, id="no connectors"),
    ],
)
def test_dex_is_not_in_use_without_url_or_connectors(cm: dict[str, str]) -> None:
    assert dex_settings(cm) is None
    assert oidc_config(cm, KEY) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("connectors: [oops", "dex.config is not valid YAML (line 1)"),
        ("- a\n- b\n", "dex.config must be a mapping"),
        ("connectors: {type: ldap}", "dex.config: connectors must be a list"),
        ("connectors: [ldap]", "dex.config: connectors[0] must be a mapping"),
        ("connectors: [{id: x}]", "dex.config: connectors[0] needs a type"),
        ("connectors: [{type: ldap}]", "dex.config: connectors[0] needs a id"),
        ("connectors: [{type: ldap, id: x, config: [1]}]", "connectors[0].config must be a"),
    ],
)
def test_a_bad_dex_config_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(AuthConfigError) as caught:
        dex_settings({"url": URL, "dex.config": text})
    assert message in str(caught.value)


def test_the_login_uses_dex_as_its_oidc_issuer() -> None:
    config = oidc_config({"url": URL, "dex.config": GITHUB}, KEY)
    assert config is not None
    assert (config.name, config.issuer, config.client_id, config.cli_client_id) == (
        "Dex",
        f"{URL}/api/dex",
        "argo-cd",
        "argo-cd-cli",
    )
    assert config.client_secret == DERIVED  # what Dex's argo-cd client is given
    assert config.redirect_uri == f"{URL}/auth/callback"
    assert "groups" in config.scopes
    assert config.audiences == ("argo-cd", "argo-cd-cli")


def test_settings_list_the_connectors_as_argo_cd_does() -> None:
    settings = dex_settings({"url": URL, "dex.config": GITLAB_AND_MICROSOFT})
    assert settings is not None
    assert [c["name"] for c in connector_summary(settings)] == ["GitLab", "Microsoft", "LinkedIn"]
    assert connector_summary(settings)[0] == {"name": "GitLab", "type": "gitlab"}
