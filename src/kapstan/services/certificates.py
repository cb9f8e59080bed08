"""Repository certificates as Argo CD keeps them: SSH known hosts in ConfigMap
``argocd-ssh-known-hosts-cm`` (key ``ssh_known_hosts``) and TLS CA bundles in
``argocd-tls-certs-cm`` (key = host name, value = PEM).

Contract:

- :func:`list_certificates` answers Argo CD's ``RepositoryCertificate`` entries matching a
  :class:`Selector` (host name glob, ``ssh``/``https`` type, sub type), without ``certData``;
  ``certInfo`` is ``SHA256:<fingerprint>`` for an SSH key and the subject (RFC 4514) for a
  TLS certificate, whose sub type is its key algorithm (``rsa``, ``ecdsa``, ``ed25519``);
- :func:`add_certificates` validates every entry first (host name, SSH key blob of its
  declared type, PEM X.509 certificates) and raises :class:`InvalidCertificate` before
  anything changes; an existing entry with other data needs ``upsert``;
- :func:`remove_certificates` drops the matching entries; lines of the known hosts text
  it does not understand (comments, ``@cert-authority``) are kept;
- :class:`CertificateStore` reads and writes the two ConfigMaps (creating them when absent).
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import hashlib
import ipaddress
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from kapstan.kube.client import KubeClient
from kapstan.kube.errors import NotFound
from kapstan.model.vocabulary import KNOWN_HOSTS_CM, KNOWN_HOSTS_KEY, TLS_CERTS_CM, configmaps_path


class CertType(StrEnum):
    SSH = "ssh"
    HTTPS = "https"


class InvalidCertificate(ValueError):
    """A certificate the API refuses (the message is safe to show)."""


_HOST = re.compile(
    r"^(([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])\.)*"
    r"([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])$"
)
_BRACKETED = re.compile(r"^\[(.*)\]:[0-9]+$")
_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----\s.*?-----END CERTIFICATE-----", re.DOTALL)
MAX_CERT_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Selector:
    host_pattern: str = ""
    cert_type: str = ""
    sub_type: str = ""

    def wants(self, kind: CertType) -> bool:
        wanted = self.cert_type
        return (
            wanted in ("", "*")
            or wanted == kind.value
            or (kind == CertType.HTTPS and wanted == "tls")
        )

    def host(self, name: str) -> bool:
        return not self.host_pattern or fnmatch.fnmatchcase(name, self.host_pattern)

    def sub(self, sub_type: str) -> bool:
        return self.sub_type in ("", "*") or self.sub_type == sub_type


@dataclass
class KnownHosts:
    """The known hosts text as entries ``(host, key type, base64 key)`` and other lines."""

    entries: list[tuple[str, str, str]] = field(default_factory=list)
    other: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str) -> KnownHosts:
        out = cls()
        for raw in text.splitlines():
            line = raw.strip()
            parts = line.split()
            if not line or line.startswith(("#", "@")) or len(parts) < 3:
                if line:
                    out.other.append(line)
                continue
            out.entries.append((parts[0], parts[1], parts[2]))
        return out

    def text(self) -> str:
        lines = [*self.other, *(f"{h} {t} {k}" for h, t, k in self.entries)]
        return "".join(f"{line}\n" for line in lines)


def valid_hostname(name: str) -> bool:
    """Argo CD's ``IsValidHostname`` (a DNS name or an IP address)."""
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return bool(_HOST.match(name)) and len(name) <= 253
    return True


def ssh_fingerprint(key_b64: str) -> str:
    """OpenSSH's SHA256 fingerprint of a base64 public key blob (without the prefix)."""
    blob = base64.b64decode(key_b64)
    return base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def _check_ssh_key(key_type: str, key_b64: str) -> None:
    try:
        blob = base64.b64decode(key_b64, validate=True)
        (length,) = struct.unpack(">I", blob[:4])
        declared = blob[4 : 4 + length].decode()
    except (binascii.Error, struct.error, UnicodeDecodeError, ValueError):
        raise InvalidCertificate("invalid SSH public key data") from None
    if declared != key_type:
        raise InvalidCertificate(f"SSH key is of type {declared!r}, not {key_type!r}")


def _algorithm(cert: x509.Certificate) -> str:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "rsa"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "ecdsa"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "ed25519"
    if isinstance(key, dsa.DSAPublicKey):
        return "dsa"
    if isinstance(key, ed448.Ed448PublicKey):
        return "ed448"
    return "unknown"


def parse_pem(data: bytes) -> list[tuple[bytes, x509.Certificate]]:
    """Every PEM certificate block of ``data`` with its parsed certificate."""
    out = []
    for block in _PEM.findall(data):
        try:
            out.append((block, x509.load_pem_x509_certificate(block)))
        except ValueError as err:
            raise InvalidCertificate(f"invalid PEM certificate: {err}") from None
    return out


def list_certificates(
    known_hosts: str, tls: Mapping[str, str], selector: Selector
) -> list[dict[str, str]]:
    """Argo CD's certificate list (see the module contract)."""
    out: list[dict[str, str]] = []
    if selector.wants(CertType.SSH):
        for host, key_type, key in KnownHosts.parse(known_hosts).entries:
            if selector.host(host) and selector.sub(key_type):
                try:
                    info = "SHA256:" + ssh_fingerprint(key)
                except (binascii.Error, ValueError):
                    info = "invalid key data"
                out.append(
                    {
                        "serverName": host,
                        "certType": "ssh",
                        "certSubType": key_type,
                        "certInfo": info,
                    }
                )
    if selector.wants(CertType.HTTPS):
        for host in sorted(tls):
            if not selector.host(host):
                continue
            for block in _PEM.findall(tls[host].encode()):
                try:
                    cert = x509.load_pem_x509_certificate(block)
                    info, sub = cert.subject.rfc4514_string(), _algorithm(cert)
                except ValueError as err:
                    info, sub = str(err), "invalid"
                out.append(
                    {"serverName": host, "certType": "https", "certSubType": sub, "certInfo": info}
                )
    return out


def _decoded_data(item: Mapping[str, Any]) -> bytes:
    raw = item.get("certData")
    if not isinstance(raw, str) or not raw:
        raise InvalidCertificate("certData (base64) is required")
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidCertificate("certData must be base64") from None
    if len(data) > MAX_CERT_BYTES:
        raise InvalidCertificate(f"certData is over {MAX_CERT_BYTES} bytes")
    return data


def _server_name(item: Mapping[str, Any], kind: CertType) -> str:
    name = item.get("serverName")
    if not isinstance(name, str) or not name:
        raise InvalidCertificate("serverName is required")
    host = name
    if kind == CertType.SSH:
        bracketed = _BRACKETED.match(name)
        host = bracketed.group(1) if bracketed else name
    if not valid_hostname(host):
        raise InvalidCertificate(f"Invalid hostname in request: {host}")
    return name


def add_certificates(
    known_hosts: KnownHosts, tls: dict[str, str], items: list[Any], *, upsert: bool
) -> list[dict[str, str]]:
    """Add ``items`` to ``known_hosts``/``tls`` in place; the entries actually created."""
    created: list[dict[str, str]] = []
    for item in items:
        if not isinstance(item, Mapping):
            raise InvalidCertificate("each item must be an object")
        kind_raw = item.get("certType")
        if kind_raw not in (CertType.SSH, CertType.HTTPS):
            raise InvalidCertificate(f"Unknown certificate type: {kind_raw}")
        kind = CertType(kind_raw)
        name = _server_name(item, kind)
        data = _decoded_data(item)
        if kind == CertType.SSH:
            created += _add_ssh(
                known_hosts, name, item, data.decode(errors="replace").strip(), upsert
            )
        else:
            created += _add_tls(tls, name, data, upsert)
    return created


def _add_ssh(
    known: KnownHosts, name: str, item: Mapping[str, Any], key: str, upsert: bool
) -> list[dict[str, str]]:
    sub = item.get("certSubType")
    if not isinstance(sub, str) or not sub:
        raise InvalidCertificate("certSubType (the SSH key type) is required")
    _check_ssh_key(sub, key)
    for i, (host, key_type, old) in enumerate(known.entries):
        if host == name and key_type == sub:
            if old == key:
                return []
            if not upsert:
                raise InvalidCertificate(
                    f"Key for '{host}' (subtype: '{sub}') already exist and upsert was not "
                    "specified."
                )
            known.entries[i] = (host, sub, key)
            break
    else:
        known.entries.append((name, sub, key))
    encoded = base64.b64encode(key.encode()).decode()
    info = ssh_fingerprint(key)
    return [
        {
            "serverName": name,
            "certType": "ssh",
            "certSubType": sub,
            "certData": encoded,
            "certInfo": info,
        }
    ]


def _add_tls(tls: dict[str, str], name: str, data: bytes, upsert: bool) -> list[dict[str, str]]:
    found = parse_pem(data)
    if not found:
        raise InvalidCertificate("No valid PEM data received.")
    text = data.decode(errors="replace")
    if tls.get(name) == text:
        return []
    if name in tls and not upsert:
        raise InvalidCertificate(
            f"TLS certificate for server '{name}' already exist and upsert was not specified."
        )
    tls[name] = text
    return [
        {"serverName": name, "certType": "https", "certData": base64.b64encode(block).decode()}
        for block, _ in found
    ]


def remove_certificates(
    known_hosts: KnownHosts, tls: dict[str, str], selector: Selector
) -> list[dict[str, str]]:
    """Remove the matching entries in place; the entries removed."""
    removed: list[dict[str, str]] = []
    if selector.wants(CertType.SSH):
        kept = []
        for host, key_type, key in known_hosts.entries:
            if selector.host(host) and selector.sub(key_type):
                data = base64.b64encode(key.encode()).decode()
                removed.append(
                    {
                        "serverName": host,
                        "certType": "ssh",
                        "certSubType": key_type,
                        "certData": data,
                    }
                )
            else:
                kept.append((host, key_type, key))
        known_hosts.entries = kept
    if selector.wants(CertType.HTTPS):
        for host in sorted(tls):
            if selector.host(host):
                for block in _PEM.findall(tls.pop(host).encode()):
                    data = base64.b64encode(block).decode()
                    removed.append({"serverName": host, "certType": "https", "certData": data})
    return removed


class CertificateStore:
    """The two ConfigMaps of ``namespace`` (see the module contract)."""

    def __init__(self, kube: KubeClient, namespace: str) -> None:
        self.kube = kube
        self.namespace = namespace

    async def read(self, name: str) -> dict[str, Any]:
        """The ConfigMap ``name`` (an empty one, not yet stored, when absent)."""
        try:
            found: dict[str, Any] = await self.kube.get(configmaps_path(self.namespace, name))
        except NotFound:
            return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {}}
        return found

    async def known_hosts(self) -> tuple[dict[str, Any], KnownHosts]:
        cm = await self.read(KNOWN_HOSTS_CM)
        return cm, KnownHosts.parse(str((cm.get("data") or {}).get(KNOWN_HOSTS_KEY) or ""))

    async def tls(self) -> tuple[dict[str, Any], dict[str, str]]:
        cm = await self.read(TLS_CERTS_CM)
        return cm, {str(k): str(v) for k, v in (cm.get("data") or {}).items()}

    async def write(self, cm: dict[str, Any], data: Mapping[str, str]) -> None:
        """Store ``data`` in ``cm`` (created when it has no resourceVersion)."""
        meta = cm.setdefault("metadata", {})
        meta["namespace"] = self.namespace
        cm["data"] = dict(data)
        if meta.get("resourceVersion"):
            path = configmaps_path(self.namespace, str(meta["name"]))
            await self.kube.request("PUT", path, None, cm)
        else:
            meta.setdefault("labels", {})["app.kubernetes.io/part-of"] = "argocd"
            await self.kube.request("POST", configmaps_path(self.namespace), None, cm)


__all__ = [
    "CertType",
    "CertificateStore",
    "InvalidCertificate",
    "KnownHosts",
    "Selector",
    "add_certificates",
    "list_certificates",
    "parse_pem",
    "remove_certificates",
    "ssh_fingerprint",
    "valid_hostname",
]
