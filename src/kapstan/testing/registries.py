"""A real image registry for tests (Debian ``docker-registry``, distribution v2.8) and a small
pure-Python pusher speaking its HTTP API (blob uploads and manifest PUTs; no docker daemon).

Contracts: :func:`image_registry` binds 127.0.0.1 on a free port, optionally with htpasswd
basic auth (bcrypt), and stops when the context exits; :class:`Pusher` pushes single-platform
images (one tiny layer and a config whose ``created`` date is given) and multi-platform
indexes, OCI or Docker media types, and returns manifest digests.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import bcrypt
import httpx2

from kapstan.localcluster.ports import free_port
from kapstan.localcluster.process import spawn, stop
from kapstan.testing.chartservers import DOCKER_REGISTRY
from kapstan.testing.gitservers import _wait_listening
from kapstan.testing.tokenauth import TokenService

_CONF = """version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
"""
_AUTH = """auth:
  htpasswd:
    realm: kapstan-test
    path: {htpasswd}
"""
_BEARER_AUTH = """auth:
  token:
    realm: {realm}
    service: {service}
    issuer: {issuer}
    rootcertbundle: {bundle}
"""

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
_LAYER = {
    OCI_MANIFEST: "application/vnd.oci.image.layer.v1.tar+gzip",
    DOCKER_MANIFEST: "application/vnd.docker.image.rootfs.diff.tar.gzip",
}
_CONFIG = {
    OCI_MANIFEST: "application/vnd.oci.image.config.v1+json",
    DOCKER_MANIFEST: "application/vnd.docker.container.image.v1+json",
}


@dataclass(frozen=True)
class Registry:
    """A running test registry: ``host`` (``127.0.0.1:port``) and its ``api_url``."""

    host: str
    username: str | None = None
    password: str | None = None
    tokens: TokenService | None = None  # token auth: the pusher mints its own tokens

    @property
    def api_url(self) -> str:
        return f"http://{self.host}"


@contextlib.contextmanager
def image_registry(
    root: Path,
    *,
    username: str | None = None,
    password: str | None = None,
    tokens: TokenService | None = None,
) -> Iterator[Registry]:
    """A plain-HTTP registry on 127.0.0.1: htpasswd basic auth when ``username`` is given,
    the registry's own ``token`` auth against ``tokens`` when that is given."""
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    text = _CONF.format(storage=root / "storage", port=port)
    if tokens is not None:
        text += _BEARER_AUTH.format(
            realm=tokens.url, service=tokens.service, issuer=tokens.issuer, bundle=tokens.cert_path
        )
    elif username is not None:
        hashed = bcrypt.hashpw((password or "").encode(), bcrypt.gensalt(rounds=4)).decode()
        htpasswd = root / "htpasswd"
        htpasswd.write_text(f"{username}:{hashed}\n")
        text += _AUTH.format(htpasswd=htpasswd)
    conf = root / "registry.yml"
    conf.write_text(text)
    log = root / "registry.log"
    handle = spawn(
        "docker-registry",
        [str(DOCKER_REGISTRY), "serve", str(conf)],
        log=log,
        env={},
        die_with_parent=True,
    )
    try:
        _wait_listening(port, handle, log)
        yield Registry(f"127.0.0.1:{port}", username, password, tokens)
    finally:
        stop(handle)


def _layer(seed: str) -> bytes:
    """A gzip'd tar with one small file, different per ``seed``."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        data = seed.encode()
        info = tarfile.TarInfo("hello.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Pusher:
    """Pushes images over the registry API (see the module contract)."""

    def __init__(self, registry: Registry) -> None:
        auth = None
        if registry.username is not None and registry.tokens is None:
            auth = httpx2.BasicAuth(registry.username, registry.password or "")
        self._http = httpx2.Client(base_url=registry.api_url, auth=auth, timeout=30)
        self.registry = registry

    def _auth(self, repository: str) -> dict[str, str]:
        tokens = self.registry.tokens
        if tokens is None:
            return {}
        return {"Authorization": f"Bearer {tokens.token(f'repository:{repository}:pull,push')}"}

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Pusher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def blob(self, repository: str, data: bytes) -> str:
        """Upload ``data`` as a blob (POST then monolithic PUT); returns its digest."""
        digest = _digest(data)
        start = self._http.post(f"/v2/{repository}/blobs/uploads/", headers=self._auth(repository))
        start.raise_for_status()
        location = start.headers["Location"]
        sep = "&" if "?" in location else "?"
        done = self._http.put(
            f"{location}{sep}digest={digest}",
            content=data,
            headers={"Content-Type": "application/octet-stream", **self._auth(repository)},
        )
        done.raise_for_status()
        return digest

    def manifest(self, repository: str, reference: str, body: bytes, media_type: str) -> str:
        """PUT a manifest under ``reference``; returns its digest."""
        resp = self._http.put(
            f"/v2/{repository}/manifests/{reference}",
            content=body,
            headers={"Content-Type": media_type, **self._auth(repository)},
        )
        resp.raise_for_status()
        return _digest(body)

    def image(
        self,
        repository: str,
        tag: str | None,
        *,
        created: datetime | None = None,
        platform: str = "linux/amd64",
        media_type: str = OCI_MANIFEST,
        seed: str = "",
    ) -> str:
        """Push a one-layer image (tagged ``tag`` unless None: by digest only); its digest."""
        os_name, arch, *variant = platform.split("/")
        layer = _layer(seed or f"{repository}:{tag}:{platform}")
        layer_digest = self.blob(repository, layer)
        config: dict[str, object] = {
            "architecture": arch,
            "os": os_name,
            "created": (created or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "rootfs": {"type": "layers", "diff_ids": [_digest(gzip.decompress(layer))]},
            "config": {},
        }
        if variant:
            config["variant"] = variant[0]
        config_raw = json.dumps(config, sort_keys=True).encode()
        config_digest = self.blob(repository, config_raw)
        manifest = {
            "schemaVersion": 2,
            "mediaType": media_type,
            "config": {
                "mediaType": _CONFIG[media_type],
                "digest": config_digest,
                "size": len(config_raw),
            },
            "layers": [
                {"mediaType": _LAYER[media_type], "digest": layer_digest, "size": len(layer)}
            ],
        }
        body = json.dumps(manifest).encode()
        digest = _digest(body)
        return self.manifest(repository, tag or digest, body, media_type)

    def index(
        self, repository: str, tag: str, platforms: list[str], *, created: datetime | None = None
    ) -> str:
        """Push one image per platform and an OCI index of them under ``tag``; its digest."""
        entries = []
        for platform in platforms:
            digest = self.image(
                repository, None, created=created, platform=platform, seed=f"{tag}{platform}"
            )
            os_name, arch, *variant = platform.split("/")
            plat: dict[str, str] = {"os": os_name, "architecture": arch}
            if variant:
                plat["variant"] = variant[0]
            size = len(
                self._http.get(
                    f"/v2/{repository}/manifests/{digest}",
                    headers={"Accept": OCI_MANIFEST, **self._auth(repository)},
                ).content
            )
            entries.append(
                {"mediaType": OCI_MANIFEST, "digest": digest, "size": size, "platform": plat}
            )
        body = json.dumps(
            {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
        ).encode()
        return self.manifest(repository, tag, body, OCI_INDEX)


__all__ = ["DOCKER_MANIFEST", "OCI_INDEX", "OCI_MANIFEST", "Pusher", "Registry", "image_registry"]
