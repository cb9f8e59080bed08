"""Argo CD's settings objects on FakeKube for the auth tests, and an Authenticator on them."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any

from kapstan.services.auth.accounts import format_mtime
from kapstan.services.auth.authenticator import Authenticator
from kapstan.services.auth.config import AuthInputs
from kapstan.services.auth.store import decode_secret
from kapstan.services.auth.throttle import ThrottleSettings
from kapstan.testing.fakekube import FakeKube
from tests.unit.services.auth.helpers import NS, START, FakeClock, fast_hash


def configmap(data: Mapping[str, str], name: str = "argocd-cm") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": NS},
        "data": dict(data),
    }


def secret(data: Mapping[str, str], name: str = "argocd-secret") -> dict[str, Any]:
    encoded = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": NS},
        "data": encoded,
    }


def project(name: str, roles: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"roles": roles or []},
    }


def cluster(cm: Mapping[str, str] | None = None, sec: Mapping[str, str] | None = None) -> FakeKube:
    """A fake with the argocd namespace, AppProjects served, and the given settings objects."""
    fake = FakeKube(namespaces=("default", NS))
    fake.register("argoproj.io", "v1alpha1", "AppProject", "appprojects")
    if cm is not None:
        fake.put(configmap(cm))
    if sec is not None:
        fake.put(secret(sec))
    return fake


def secret_data(fake: FakeKube, name: str = "argocd-secret") -> dict[str, str]:
    obj = fake.get_object("Secret", name, namespace=NS)
    return decode_secret(obj) if obj else {}


def live_inputs(fake: FakeKube) -> Callable[[], AuthInputs]:
    """Settings as a watch that is never late would deliver them."""

    def read() -> AuthInputs:
        cm = fake.get_object("ConfigMap", "argocd-cm", namespace=NS) or {}
        return AuthInputs(dict(cm.get("data") or {}), secret_data(fake))

    return read


def authenticator(fake: FakeKube, kube: Any, clock: FakeClock, **kw: Any) -> Authenticator:
    kw.setdefault("throttle", ThrottleSettings())
    kw.setdefault("verification_delay", (0.0, 0.0))
    return Authenticator(kube, NS, live_inputs(fake), clock=clock, **kw)


KEY = "dGVzdC1zaWduaW5nLWtleS1mb3Ita2Fwc3Rhbi10ZXN0cw=="
ADMIN_PW = "admin-Pa55word"
ALICE_PW = "alice-Pa55word"
ACCOUNTS_CM = {
    "accounts.alice": "apiKey, login",
    "accounts.bob": "login",
    "accounts.bob.enabled": "false",
    "accounts.carol": "apiKey",
}


def seeded(**cm: str) -> FakeKube:
    """Accounts admin, alice (login, apiKey), bob (disabled), carol (apiKey only), a signing
    key, and project ``web`` with role ``ci``; ``cm`` adds argocd-cm keys."""
    fake = cluster(
        cm={**ACCOUNTS_CM, **cm},
        sec={
            "server.secretkey": KEY,
            "admin.password": fast_hash(ADMIN_PW),
            "admin.passwordMtime": format_mtime(START - 3600),
            "accounts.alice.password": fast_hash(ALICE_PW),
            "accounts.bob.password": fast_hash("bob-Pa55word"),
            "accounts.carol.password": fast_hash("carol-Pa55word"),
        },
    )
    fake.put(project("web", [{"name": "ci", "policies": []}]))
    return fake
