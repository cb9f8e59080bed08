"""The API server's TLS certificate, found or made as Argo CD does.

Contract of :func:`server_certificate`: the Secret ``argocd-server-tls`` (``tls.crt``/``tls.key``)
wins; else ``tls.crt``/``tls.key`` of ``argocd-secret``; else a self-signed certificate (ECDSA
P-256, one year, for ``localhost``, ``127.0.0.1``, ``argocd-server`` and the names given) is
generated and merged into ``argocd-secret`` — creating that Secret when absent, leaving its other
keys alone — so every replica and restart serves the same one. :func:`write_pair` puts the pair
into files only this process's user can read (uvicorn loads certificates from files).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import ipaddress
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kapstan.kube.client import KubeClient
from kapstan.kube.errors import Conflict, NotFound
from kapstan.model.vocabulary import ARGOCD_SECRET, secrets_path

SERVER_TLS_SECRET = "argocd-server-tls"  # noqa: S105 - a Secret's name
CERT_KEY, KEY_KEY = "tls.crt", "tls.key"
VALID_DAYS = 365
HOSTS = ("localhost", "127.0.0.1", "argocd-server")


@dataclass(frozen=True, repr=False)
class CertPair:
    cert_pem: bytes
    key_pem: bytes


def self_signed(hosts: tuple[str, ...] = HOSTS) -> CertPair:
    """A fresh self-signed certificate for ``hosts`` (DNS names or IP addresses)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Kapstan"),
            x509.NameAttribute(NameOID.COMMON_NAME, "kapstan-server"),
        ]
    )
    alt: list[x509.GeneralName] = []
    for host in hosts:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alt.append(x509.DNSName(host))
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return CertPair(
        cert.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


def _pair_of(secret: dict[str, object]) -> CertPair | None:
    data = secret.get("data") or {}
    if not isinstance(data, dict) or not data.get(CERT_KEY) or not data.get(KEY_KEY):
        return None
    try:
        return CertPair(base64.b64decode(data[CERT_KEY]), base64.b64decode(data[KEY_KEY]))
    except (binascii.Error, TypeError):
        return None


async def _read(kube: KubeClient, namespace: str, name: str) -> dict[str, object] | None:
    try:
        return await kube.get(secrets_path(namespace, name))
    except NotFound:
        return None


async def server_certificate(
    kube: KubeClient, namespace: str, extra_hosts: tuple[str, ...] = ()
) -> CertPair:
    """The certificate to serve (see the module contract)."""
    for name in (SERVER_TLS_SECRET, ARGOCD_SECRET):
        secret = await _read(kube, namespace, name)
        pair = _pair_of(secret) if secret else None
        if pair is not None:
            return pair
    pair = self_signed(HOSTS + tuple(h for h in extra_hosts if h and h not in HOSTS))
    data = {
        CERT_KEY: base64.b64encode(pair.cert_pem).decode(),
        KEY_KEY: base64.b64encode(pair.key_pem).decode(),
    }
    path = secrets_path(namespace, ARGOCD_SECRET)
    try:
        await kube.request(
            "PATCH", path, None, {"data": data}, content_type="application/merge-patch+json"
        )
    except NotFound:
        body = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": ARGOCD_SECRET,
                "namespace": namespace,
                "labels": {"app.kubernetes.io/part-of": "argocd"},
            },
            "type": "Opaque",
            "data": data,
        }
        try:
            await kube.request("POST", secrets_path(namespace), None, body)
        except Conflict:  # another replica made it first: serve theirs
            return await server_certificate(kube, namespace, extra_hosts)
    # Two replicas starting together both write: serve whichever pair was written last.
    written = await _read(kube, namespace, ARGOCD_SECRET)
    return (_pair_of(written) if written else None) or pair


def write_pair(pair: CertPair) -> tuple[Path, Path]:
    """``(cert file, key file)`` in a fresh private directory; the caller removes it."""
    folder = Path(tempfile.mkdtemp(prefix="kapstan-tls-"))
    os.chmod(folder, 0o700)
    cert, key = folder / CERT_KEY, folder / KEY_KEY
    for path, content in ((cert, pair.cert_pem), (key, pair.key_pem)):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(content)
    return cert, key


__all__ = ["SERVER_TLS_SECRET", "CertPair", "self_signed", "server_certificate", "write_pair"]
