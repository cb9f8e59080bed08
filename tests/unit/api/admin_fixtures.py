"""A control-plane namespace with repositories, credential templates, clusters and
certificates whose secret values are planted, so that tests can look for them in answers."""

from __future__ import annotations

import base64
import datetime
from typing import Any

import orjson
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

from kapstan.api.context import ApiContext
from kapstan.services.clusterstore import ClusterRecord
from kapstan.testing.fakekube import FakeKube
from kapstan.testing.fakes import install_into
from tests.unit.api.conftest import NS, app, project

REPO_PASSWORD = "planted-repo-password-1"
SSH_KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\nplanted-ssh-key-2\n-----END OPENSSH PRIVATE KEY-----"
)
CREDS_PASSWORD = "planted-creds-password-3"
BEARER_TOKEN = "planted-bearer-token-4"
TLS_KEY = base64.b64encode(b"planted-tls-key-5").decode()
TLS_CERT_DATA = base64.b64encode(b"planted-tls-cert-6").decode()
CLUSTER_PASSWORD = "planted-cluster-password-7"
PLANTED = (REPO_PASSWORD, SSH_KEY, "planted-ssh-key-2", CREDS_PASSWORD, BEARER_TOKEN, TLS_KEY,
           "planted-tls-key-5", CLUSTER_PASSWORD)  # fmt: skip

# Unreachable on purpose (connection refused at once, no DNS): connection checks fail fast.
PRIVATE_REPO = "https://127.0.0.1:9/org/private.git"
SSH_REPO = "git@127.0.0.1:org/ssh.git"
TEAM_REPO = "https://127.0.0.1:9/org/team-charts.git"
CREDS_URL = "https://127.0.0.1:9/org"
REMOTE_CLUSTER = "https://reachable.example:6443"
TEAM_CLUSTER = "https://team-a.example:6443"


def _secret(name: str, kind: str, values: dict[str, str], **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": name,
            "namespace": NS,
            "labels": {"argocd.argoproj.io/secret-type": kind, **labels},
        },
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in values.items()},
    }


def ssh_public_key() -> str:
    """``ssh-ed25519 AAAA…`` of a fresh key."""
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()


def tls_certificate(host: str = "git.example.com") -> str:
    """A self-signed PEM certificate for ``host``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def seeded() -> FakeKube:
    """The namespace every admin route test starts from."""
    fake = FakeKube(namespaces=("default", NS))
    install_into(fake, NS)
    team = project("team-a")
    team["metadata"]["labels"] = {"tier": "shared"}
    team["spec"]["syncWindows"] = [
        {"kind": "allow", "schedule": "* * * * *", "duration": "1h", "applications": ["*"]}
    ]
    fake.put(team)
    fake.put(project("empty"))
    fake.put(project("base"))
    fake.put(app("guestbook"))
    fake.put(app("billing", "team-a"))
    fake.put(
        _secret(
            "repo-private",
            "repository",
            {"url": PRIVATE_REPO, "username": "deploy", "password": REPO_PASSWORD},
        )
    )
    fake.put(_secret("repo-ssh", "repository", {"url": SSH_REPO, "sshPrivateKey": SSH_KEY}))
    fake.put(
        _secret("repo-team", "repository", {"url": TEAM_REPO, "project": "team-a", "type": "git"})
    )
    fake.put(
        _secret(
            "creds-org",
            "repo-creds",
            {"url": CREDS_URL, "username": "bot", "password": CREDS_PASSWORD},
        )
    )
    config = {
        "bearerToken": BEARER_TOKEN,
        "password": CLUSTER_PASSWORD,
        "tlsClientConfig": {"insecure": False, "keyData": TLS_KEY, "certData": TLS_CERT_DATA},
    }
    fake.put(
        _secret(
            "cluster-remote",
            "cluster",
            {"server": REMOTE_CLUSTER, "name": "remote", "config": orjson.dumps(config).decode()},
        )
    )
    fake.put(
        _secret(
            "cluster-team",
            "cluster",
            {
                "server": TEAM_CLUSTER,
                "name": "team",
                "project": "team-a",
                "namespaces": "apps,jobs",
                "config": orjson.dumps(config).decode(),
            },
        )
    )
    fake.put(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-cm", "namespace": NS},
            "data": {
                "globalProjects": "- projectName: base\n  labelSelector:\n"
                "    matchLabels: {tier: shared}\n"
            },
        }
    )
    fake.put(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-ssh-known-hosts-cm", "namespace": NS},
            "data": {"ssh_known_hosts": f"# comment\ngithub.example {ssh_public_key()}\n"},
        }
    )
    fake.put({"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": {"name": "argocd-tls-certs-cm", "namespace": NS},
              "data": {"git.example.com": tls_certificate()}})  # fmt: skip
    return fake


async def _probe(record: ClusterRecord) -> str:
    if "reachable" in record.server or record.server == "https://kubernetes.default.svc":
        return "v1.31.0"
    raise RuntimeError(f"dial tcp {record.server}: connection refused")


def fake_probe(ctx: ApiContext) -> None:
    """``customize`` for :func:`~kapstan.testing.api.api_on`: clusters whose URL says
    "reachable" answer; others refuse."""
    ctx.admin.probe_cluster = _probe
