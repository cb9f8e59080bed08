"""A Docker/OCI token service for tests, in a thread: what ``docker-registry``'s ``token``
auth sends clients to (the Bearer flow: ``WWW-Authenticate: Bearer realm=…``).

Contract of :func:`token_service`: serves ``GET /token?service=…&scope=…`` on 127.0.0.1,
requiring basic auth ``username``/``password`` (else 401); answers
``{"token": <RS256 JWT>, "expires_in": 300}`` granting the requested repository actions. The
JWT carries its self-signed certificate in ``x5c``; :class:`TokenService` gives the
certificate's PEM path (the registry's ``rootcertbundle``), ``issuer`` and ``service``, and
:meth:`TokenService.token` mints tokens directly (for the pusher).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hmac
import http.server
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

ISSUER = "kapstan-test-issuer"
SERVICE = "kapstan-test-registry"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class TokenService:
    """A running token service (see the module contract)."""

    url: str  # the realm, e.g. http://127.0.0.1:PORT/token
    cert_path: Path
    key: rsa.RSAPrivateKey
    cert: x509.Certificate
    issuer: str = ISSUER
    service: str = SERVICE

    def token(self, scope: str, subject: str = "tester") -> str:
        access = []
        for part in scope.split(" "):
            kind, _, rest = part.partition(":")
            name, _, actions = rest.rpartition(":")
            if kind and name:
                access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        header = {
            "typ": "JWT",
            "alg": "RS256",
            "x5c": [base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()],
        }
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": self.service,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        signing = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        signature = self.key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing}.{_b64(signature)}"


def _certificate(root: Path) -> tuple[rsa.RSAPrivateKey, x509.Certificate, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kapstan test token signer")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = root / "token-signer.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert, path


@contextlib.contextmanager
def token_service(root: Path, username: str, password: str) -> Iterator[TokenService]:
    """Run the token service until the block ends (see the module contract)."""
    root.mkdir(parents=True, exist_ok=True)
    key, cert, path = _certificate(root)
    expected = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
    holder: dict[str, TokenService] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            got = self.headers.get("Authorization") or ""
            if not hmac.compare_digest(got.encode(), expected.encode()):
                self._answer(401, {"errors": [{"code": "UNAUTHORIZED"}]})
                return
            query = parse_qs(urlsplit(self.path).query)
            scope = " ".join(query.get("scope", []))
            self._answer(200, {"token": holder["svc"].token(scope, username), "expires_in": 300})

        def _answer(self, code: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """No request log on stderr."""

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["svc"] = TokenService(
        f"http://127.0.0.1:{server.server_address[1]}/token", path, key, cert
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder["svc"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


__all__ = ["ISSUER", "SERVICE", "TokenService", "token_service"]
