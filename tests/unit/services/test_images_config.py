"""Image automation configuration as users write it: argocd-image-updater's annotations,
``registries.conf``, credential references, the ``argocd`` write-back and webhook matching."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest

from kapstan.services.images.annotations import (
    ConfigError,
    WriteBackMethod,
    read_annotations,
)
from kapstan.services.images.policy import Strategy
from kapstan.services.images.registries import (
    CredentialsError,
    RegistryConf,
    parse_registries,
    registry_for,
    resolve_credentials,
)
from kapstan.services.images.trigger import repository_matches
from kapstan.services.images.writeback import (
    WriteBackError,
    argocd_source_patch,
    running_tag,
)
from kapstan.source.registry.reference import parse_image

P = "argocd-image-updater.argoproj.io/"


def test_image_list_with_aliases_and_settings() -> None:
    got = read_annotations(
        {
            P + "image-list": "web=127.0.0.1:5000/team/web:1.2.x, cache=redis:~7.0,nginx",
            P + "web.update-strategy": "latest",
            P + "web.allow-tags": "regexp:^1\\.",
            P + "web.ignore-tags": "1.2.9, *-rc",
            P + "web.platforms": "linux/amd64,linux/arm64",
            P + "web.kustomize.image-name": "web",
            P + "web.pull-secret": "pullsecret:argocd/regcred",
            P + "cache.helm.image-name": "redis.image.repository",
            P + "cache.helm.image-tag": "redis.image.tag",
            P + "write-back-method": "git:secret:argocd/git-creds",
            P + "git-branch": "main:image-updater-{{.SHA256}}",
            P + "write-back-target": "kustomization:../base",
        }
    )
    assert got is not None
    web, cache, nginx = got.images
    assert (web.alias, web.name, web.policy.strategy) == (
        "web",
        "127.0.0.1:5000/team/web",
        Strategy.NEWEST_BUILD,
    )
    assert web.policy.filter.ignore == ("1.2.9", "*-rc")
    assert [str(p) for p in web.policy.platforms] == ["linux/amd64", "linux/arm64"]
    assert (web.kustomize_name, web.pull_secret) == ("web", "pullsecret:argocd/regcred")
    assert (cache.policy.strategy, cache.policy.constraint) == (Strategy.SEMVER, "~7.0")
    assert (cache.helm_name, cache.helm_tag) == ("redis.image.repository", "redis.image.tag")
    assert (nginx.alias, nginx.image.repository, nginx.policy.constraint) == (
        "",
        "library/nginx",
        "",
    )
    wb = got.write_back
    assert (wb.method, wb.credentials, wb.target) == (
        WriteBackMethod.GIT,
        "secret:argocd/git-creds",
        "kustomization:../base",
    )


def test_no_image_list_means_no_automation() -> None:
    assert read_annotations({"other": "x"}) is None


def test_old_strategy_names_and_app_wide_default() -> None:
    got = read_annotations(
        {
            P + "image-list": "a=x/a,b=x/b",
            P + "update-strategy": "name",
            P + "b.update-strategy": "digest",
        }
    )
    assert got is not None
    assert got.images[0].policy.strategy is Strategy.ALPHABETICAL
    assert (got.images[1].policy.strategy, got.images[1].policy.constraint) == (
        Strategy.DIGEST,
        "latest",
    )


@pytest.mark.parametrize(
    ("annotations", "message"),
    [
        ({P + "image-list": " "}, "is empty"),
        ({P + "image-list": "a=x/a,a=x/b"}, "used twice"),
        ({P + "image-list": "a.b=x/a"}, "must be alphanumeric"),
        ({P + "image-list": "a=UPPER/x"}, "invalid repository path"),
        ({P + "image-list": "a=x/a", P + "a.update-strategy": "best"}, "unknown update strategy"),
        ({P + "image-list": "a=x/a:not-a-range!"}, "not a semver constraint"),
        ({P + "image-list": "a=x/a", P + "a.allow-tags": "regexp:("}, "not a valid regular"),
        ({P + "image-list": "a=x/a", P + "a.platforms": "linux"}, "invalid platform"),
        ({P + "image-list": "a=x/a", P + "write-back-method": "s3"}, "write-back-method 's3'"),
    ],
)
def test_bad_annotations_name_the_problem(annotations: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        read_annotations(annotations)


CONF = """
registries:
- name: Local
  prefix: 127.0.0.1:5000
  api_url: http://127.0.0.1:5000/
  credentials: env:REG_CREDS
  limit: 5
  insecure: yes
- name: Docker Hub
  prefix: docker.io
  api_url: https://mirror.example
  default: true
  ping: yes
"""


def test_registries_conf_entries_and_matching() -> None:
    confs = parse_registries(CONF)
    local = registry_for(parse_image("127.0.0.1:5000/team/app"), confs)
    assert (local.api_url, local.limit, local.insecure, local.credentials) == (
        "http://127.0.0.1:5000",
        5.0,
        True,
        "env:REG_CREDS",
    )
    assert registry_for(parse_image("nginx"), confs).api_url == "https://mirror.example"
    other = registry_for(parse_image("ghcr.io/o/app"), confs)
    assert (other.api_url, other.credentials) == ("https://ghcr.io", "")
    hub = registry_for(parse_image("nginx"), ())
    assert hub.api_url == "https://registry-1.docker.io"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("registries: [", "not valid YAML"),
        ("registries: {a: 1}", "'registries' list"),
        ("registries: [{prefix: x}]", "needs both prefix and api_url"),
        ("registries: [{prefix: x, api_url: ftp://x}]", "must be http"),
        ("registries: [{prefix: x, api_url: 'http://x', limit: fast}]", "limit must be a number"),
    ],
)
def test_bad_registries_conf(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_registries(text)


class _Kube:
    """Just enough of KubeClient for Secret reads."""

    def __init__(self, secrets: dict[str, dict[str, str]]) -> None:
        self.secrets = secrets

    async def get(self, path: str) -> dict[str, Any]:
        from kapstan.kube.errors import NotFound

        key = "/".join(path.split("/")[4:7:2])  # namespace/name
        if key not in self.secrets:
            raise NotFound("not found")
        data = {k: base64.b64encode(v.encode()).decode() for k, v in self.secrets[key].items()}
        return {"data": data}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_credential_references() -> None:
    conf = RegistryConf(prefix="127.0.0.1:5000", api_url="http://127.0.0.1:5000")
    docker = {"auths": {"http://127.0.0.1:5000": {"auth": _b64("puller:pw1")}}}
    kube = _Kube(
        {
            "argocd/regcred": {".dockerconfigjson": json.dumps(docker)},
            "argocd/plain": {"creds": "bob:pw2"},
        }
    )

    async def go() -> None:
        resolve = resolve_credentials
        assert await resolve(kube, "pullsecret:argocd/regcred", conf) == ("puller", "pw1")  # type: ignore[arg-type]
        assert await resolve(kube, "secret:argocd/plain#creds", conf) == ("bob", "pw2")  # type: ignore[arg-type]
        env = {"REG": "eve:pw3"}
        assert await resolve(kube, "env:REG", conf, env=env) == ("eve", "pw3")  # type: ignore[arg-type]
        for ref, message in [
            ("pullsecret:argocd/missing", "Secret argocd/missing not found"),
            ("secret:argocd/plain#other", "has no key other"),
            ("secret:argocd/plain", "expected secret:"),
            ("env:NOPE", "NOPE is not set"),
            ("ext:/bin/script", "not supported"),
            ("vault:x", "expected pullsecret"),
        ]:
            with pytest.raises(CredentialsError, match=message) as caught:
                await resolve(kube, ref, conf, env=env)  # type: ignore[arg-type]
            assert "pw" not in str(caught.value)

    asyncio.run(go())


def _spec(annotations: dict[str, str]) -> Any:
    got = read_annotations({P + "image-list": "app=127.0.0.1:5000/team/app:1.2.x", **annotations})
    assert got is not None
    return got.images[0]


KUSTOMIZE_APP = {
    "spec": {"source": {"kustomize": {"images": ["other:1", "127.0.0.1:5000/team/app:1.2.3"]}}},
    "status": {"sourceType": "Kustomize", "summary": {"images": ["127.0.0.1:5000/team/app:1.2.3"]}},
}


def test_kustomize_write_back_replaces_the_entry_in_place() -> None:
    spec = _spec({})
    patch = argocd_source_patch(KUSTOMIZE_APP, spec, "1.2.4")
    assert patch == {"kustomize": {"images": ["other:1", "127.0.0.1:5000/team/app:1.2.4"]}}
    assert argocd_source_patch(KUSTOMIZE_APP, spec, "1.2.3") is None
    named = _spec({P + "app.kustomize.image-name": "app"})
    assert argocd_source_patch(KUSTOMIZE_APP, named, "1.2.4") == {
        "kustomize": {
            "images": [
                "other:1",
                "127.0.0.1:5000/team/app:1.2.3",
                "app=127.0.0.1:5000/team/app:1.2.4",
            ]
        }
    }
    assert running_tag(KUSTOMIZE_APP, spec) == "1.2.3"


def test_helm_write_back_sets_parameters() -> None:
    app = {
        "spec": {"source": {"helm": {"parameters": [{"name": "replicas", "value": "2"}]}}},
        "status": {"sourceType": "Helm"},
    }
    spec = _spec({P + "app.helm.image-name": "img.repo", P + "app.helm.image-tag": "img.tag"})
    assert argocd_source_patch(app, spec, "1.2.4") == {
        "helm": {
            "parameters": [
                {"name": "replicas", "value": "2"},
                {"name": "img.repo", "value": "127.0.0.1:5000/team/app"},
                {"name": "img.tag", "value": "1.2.4"},
            ]
        }
    }
    one = _spec({P + "app.helm.image-spec": "image"})
    assert argocd_source_patch(app, one, "1.2.4") == {
        "helm": {
            "parameters": [
                {"name": "replicas", "value": "2"},
                {"name": "image", "value": "127.0.0.1:5000/team/app:1.2.4"},
            ]
        }
    }


@pytest.mark.parametrize(
    ("app", "message"),
    [
        ({"spec": {"sources": [{}]}}, "multi-source"),
        ({"spec": {"source": {}}, "status": {"sourceType": "Directory"}}, "this one is Directory"),
    ],
)
def test_write_back_refuses_apps_it_cannot_change(app: dict[str, Any], message: str) -> None:
    with pytest.raises(WriteBackError, match=message):
        argocd_source_patch(app, _spec({}), "1.2.4")


@pytest.mark.parametrize(
    ("image", "pushed", "any_registry", "want"),
    [
        ("127.0.0.1:5000/team/app", "127.0.0.1:5000/team/app", False, True),
        ("127.0.0.1:5000/team/app", "127.0.0.1:5000/team/other", False, False),
        ("127.0.0.1:5000/team/app", "team/app", False, False),
        ("127.0.0.1:5000/team/app", "team/app", True, True),
        ("nginx", "library/nginx", False, True),
        ("nginx", "nginx", False, True),
        ("bitnami/redis", "docker.io/bitnami/redis", False, True),
        ("ghcr.io/o/app", "ghcr.io/o/app", False, True),
    ],
)
def test_webhook_repository_matching(
    image: str, pushed: str, any_registry: bool, want: bool
) -> None:
    assert repository_matches(parse_image(image), pushed, any_registry=any_registry) is want
