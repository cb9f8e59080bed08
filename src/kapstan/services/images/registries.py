"""argocd-image-updater's ``registries.conf`` (key of the ConfigMap
``argocd-image-updater-config`` in the controller's namespace) and registry credentials.

Contracts:

- :func:`parse_registries` reads ``registries: [{name, prefix, api_url, credentials,
  credsexpire, defaultns, default, insecure, limit, ca_data}]``; bad YAML or a bad entry raises
  :class:`~kapstan.services.images.annotations.ConfigError` naming the entry. Unknown keys
  (``ping``, ``tagsortmode``) are accepted and ignored.
- :func:`registry_for` picks the entry whose ``prefix`` is the image's registry (the ``default``
  entry for Docker Hub images when no prefix matches); without one the registry is reached at
  ``https://<registry>`` (Docker Hub at ``https://registry-1.docker.io``), anonymously.
- :func:`resolve_credentials` turns ``pullsecret:<ns>/<name>`` (a ``kubernetes.io/dockerconfigjson``
  Secret: the ``auths`` entry for the registry host, ``auth`` or ``username``/``password``),
  ``secret:<ns>/<name>#<key>`` (``user:password``) and ``env:VAR`` (``user:password``) into a
  user name and password. A missing Secret, key or variable raises :class:`CredentialsError`
  naming the reference (never its value). ``ext:`` scripts are not supported (an error says so).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import yaml

from kapstan.kube.client import KubeClient
from kapstan.kube.errors import KubeError, NotFound
from kapstan.services.images.annotations import ConfigError
from kapstan.source.registry.limits import DEFAULT_RATE
from kapstan.source.registry.reference import DOCKER_HUB, DOCKER_HUB_API, ImageRef

CONFIG_MAP = "argocd-image-updater-config"
CONF_KEY = "registries.conf"


class CredentialsError(RuntimeError):
    """Registry credentials that cannot be read (the message names the reference only)."""


@dataclass(frozen=True)
class RegistryConf:
    """One ``registries.conf`` entry."""

    prefix: str
    api_url: str
    name: str = ""
    credentials: str = field(default="", repr=False)
    credsexpire: str = ""
    defaultns: str = ""
    default: bool = False
    insecure: bool = False
    limit: float = DEFAULT_RATE
    ca_data: str = field(default="", repr=False)


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("yes", "true", "1", "on")


def parse_registries(text: str) -> tuple[RegistryConf, ...]:
    """The entries of a ``registries.conf`` document (see the module contract)."""
    try:
        doc = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"{CONF_KEY} is not valid YAML: {err}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("registries") or [], list):
        raise ConfigError(f"{CONF_KEY} must be a mapping with a 'registries' list")
    out: list[RegistryConf] = []
    for i, item in enumerate(doc.get("registries") or []):
        where = f"{CONF_KEY} registries[{i}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{where} is not a mapping")
        prefix = str(item.get("prefix") or "").strip()
        api_url = str(item.get("api_url") or "").strip().rstrip("/")
        if not prefix or not api_url:
            raise ConfigError(f"{where} needs both prefix and api_url")
        if urlsplit(api_url).scheme not in ("http", "https"):
            raise ConfigError(f"{where}: api_url {api_url!r} must be http(s)://host[:port]")
        try:
            limit = float(item.get("limit", DEFAULT_RATE))
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: limit must be a number (requests per second)") from None
        out.append(
            RegistryConf(
                prefix=prefix,
                api_url=api_url,
                name=str(item.get("name") or prefix),
                credentials=str(item.get("credentials") or ""),
                credsexpire=str(item.get("credsexpire") or ""),
                defaultns=str(item.get("defaultns") or ""),
                default=_bool(item.get("default", False)),
                insecure=_bool(item.get("insecure", False)),
                limit=limit,
                ca_data=str(item.get("ca_data") or ""),
            )
        )
    return tuple(out)


def registry_for(image: ImageRef, confs: tuple[RegistryConf, ...]) -> RegistryConf:
    """The entry for ``image``'s registry (see the module contract)."""
    for conf in confs:
        if conf.prefix == image.registry:
            return conf
    if image.registry == DOCKER_HUB:
        for conf in confs:
            if conf.default:
                return conf
        return RegistryConf(prefix=DOCKER_HUB, api_url=DOCKER_HUB_API)
    return RegistryConf(prefix=image.registry, api_url=f"https://{image.registry}")


def _pair(value: str, ref: str) -> tuple[str, str]:
    user, sep, password = value.strip().partition(":")
    if not sep:
        raise CredentialsError(f"{ref} does not hold 'username:password'")
    return user, password


async def read_secret(kube: KubeClient, ns_name: str, ref: str) -> dict[str, str]:
    """The decoded data of Secret ``<ns>/<name>``; errors name ``ref``, never a value."""
    ns, _, name = ns_name.partition("/")
    if not ns or not name:
        raise CredentialsError(f"{ref}: expected <namespace>/<name>")
    try:
        secret = await kube.get(f"/api/v1/namespaces/{ns}/secrets/{name}")
    except NotFound:
        raise CredentialsError(f"{ref}: Secret {ns}/{name} not found") from None
    except KubeError as err:
        raise CredentialsError(f"{ref}: cannot read Secret {ns}/{name}: {err}") from None
    data: Mapping[str, str] = secret.get("data") or {}
    out: dict[str, str] = {}
    for key, value in data.items():
        try:
            out[key] = base64.b64decode(value).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise CredentialsError(f"{ref}: key {key} is not valid base64 text") from None
    return out


def _docker_auth(config: str, hosts: tuple[str, ...], ref: str) -> tuple[str, str]:
    try:
        auths = (json.loads(config) or {}).get("auths") or {}
    except (json.JSONDecodeError, AttributeError):
        raise CredentialsError(f"{ref}: .dockerconfigjson is not valid JSON") from None
    for key, entry in auths.items():
        host = urlsplit(key).netloc if "://" in key else key.split("/")[0]
        if host not in hosts or not isinstance(entry, dict):
            continue
        if entry.get("auth"):
            try:
                return _pair(base64.b64decode(entry["auth"]).decode(), ref)
            except (binascii.Error, UnicodeDecodeError):
                raise CredentialsError(f"{ref}: the auth of {key} is not base64") from None
        return str(entry.get("username") or ""), str(entry.get("password") or "")
    raise CredentialsError(f"{ref}: no auths entry for {' or '.join(hosts)}")


async def resolve_credentials(
    kube: KubeClient,
    ref: str,
    conf: RegistryConf,
    *,
    env: Mapping[str, str] | None = None,
) -> tuple[str, str]:
    """(username, password) for a credentials reference (see the module contract)."""
    kind, _, rest = ref.strip().partition(":")
    if kind == "env":
        value = (os.environ if env is None else env).get(rest)
        if value is None:
            raise CredentialsError(f"{ref}: environment variable {rest} is not set")
        return _pair(value, ref)
    if kind == "secret":
        ns_name, _, key = rest.partition("#")
        if not key:
            raise CredentialsError(f"{ref}: expected secret:<namespace>/<name>#<key>")
        data = await read_secret(kube, ns_name, ref)
        if key not in data:
            raise CredentialsError(f"{ref}: the Secret has no key {key}")
        return _pair(data[key], ref)
    if kind == "pullsecret":
        data = await read_secret(kube, rest, ref)
        config = data.get(".dockerconfigjson")
        if config is None:
            raise CredentialsError(f"{ref}: the Secret has no .dockerconfigjson")
        hosts: tuple[str, ...] = (conf.prefix, urlsplit(conf.api_url).netloc)
        if conf.prefix == DOCKER_HUB:
            hosts = (*hosts, "index.docker.io")
        return _docker_auth(config, hosts, ref)
    if kind == "ext":
        raise CredentialsError(f"{ref}: ext: credential scripts are not supported by Kapstan")
    raise CredentialsError(
        f"{ref!r}: expected pullsecret:<ns>/<name>, secret:<ns>/<name>#<key> or env:VAR"
    )


__all__ = [
    "CONFIG_MAP",
    "CONF_KEY",
    "CredentialsError",
    "RegistryConf",
    "parse_registries",
    "read_secret",
    "registry_for",
    "resolve_credentials",
]
