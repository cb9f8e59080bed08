"""The I/O of authentication: argocd-cm, argocd-secret, the initial admin Secret, AppProjects.

Everything goes through :class:`KubeWriter`, the two methods of
:class:`~kapstan.kube.client.KubeClient` used here, so the API server passes its client as it
is and tests pass a client of :class:`~kapstan.testing.fakekube.FakeKube`.

Contract of :class:`AuthStore`:

- reads decode Secret ``data`` (base64) and ``stringData``; a missing object reads as empty;
- :meth:`AuthStore.update_secret` is a compare-and-swap: a JSON merge patch carrying the
  ``resourceVersion`` that was read (the API server answers 409 if the Secret changed since),
  or a create when the Secret did not exist (409 if someone created it meanwhile). Either
  409 raises :class:`Stale`; the caller re-reads and decides again, so a write never
  overwrites a value it has not seen (two replicas bootstrapping keep one key);
- other failures raise :class:`~kapstan.services.auth.errors.AuthStoreError` naming the verb,
  the object and the HTTP code and reason only; the server's message (which could echo what
  was sent) is dropped.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from kapstan.kube.errors import KubeError
from kapstan.model import vocabulary as v
from kapstan.services.auth.config import AuthInputs
from kapstan.services.auth.errors import AuthStoreError

MERGE_PATCH = "application/merge-patch+json"
ATTEMPTS = 5
T = TypeVar("T")


class KubeWriter(Protocol):
    """What authentication needs from a Kubernetes client (``KubeClient`` fits)."""

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]: ...

    async def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        content_type: str | None = None,
    ) -> dict[str, Any]: ...


class Stale(Exception):
    """The object changed since it was read (HTTP 409); re-read and try again."""


@dataclass(frozen=True)
class SecretState:
    """A Secret as read: whether it exists, its resourceVersion and decoded data."""

    name: str
    exists: bool = False
    resource_version: str = ""
    data: Mapping[str, str] = field(default_factory=dict, repr=False)
    labels: Mapping[str, str] = field(default_factory=dict)


def decode_secret(obj: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in (obj.get("data") or {}).items():
        with contextlib.suppress(binascii.Error, UnicodeDecodeError):
            out[str(key)] = base64.b64decode(str(value), validate=True).decode()
    for key, value in (obj.get("stringData") or {}).items():
        out[str(key)] = str(value)
    return out


def _b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


async def retrying(step: Callable[[], Awaitable[T]], what: str, attempts: int = ATTEMPTS) -> T:
    """Run ``step`` until it does not raise :class:`Stale` (at most ``attempts`` times)."""
    for _ in range(attempts):
        try:
            return await step()
        except Stale:
            continue
    raise AuthStoreError(f"{what}: still conflicting after {attempts} attempts", code=409)


class AuthStore:
    """Reads and compare-and-swap writes in one namespace (see the module contract)."""

    def __init__(self, kube: KubeWriter, namespace: str) -> None:
        self.kube = kube
        self.namespace = namespace

    async def _call(self, what: str, method: str, path: str, **kw: Any) -> dict[str, Any] | None:
        try:
            return await self.kube.request(method, path, **kw)
        except KubeError as err:
            if err.code == 404 and method == "GET":
                return None
            if err.code == 409 and method != "GET":
                raise Stale(what) from None
            reason = f" {err.reason}" if err.reason else ""
            raise AuthStoreError(
                f"{method} {what}: HTTP {err.code}{reason}", code=err.code
            ) from None

    async def read_secret(self, name: str) -> SecretState:
        obj = await self._call(f"secret {name}", "GET", v.secrets_path(self.namespace, name))
        if obj is None:
            return SecretState(name)
        meta = obj.get("metadata") or {}
        rv = str(meta.get("resourceVersion") or "")
        labels = {str(k): str(x) for k, x in (meta.get("labels") or {}).items()}
        return SecretState(name, True, rv, decode_secret(obj), labels)

    async def read_configmap(self, name: str) -> dict[str, str]:
        obj = await self._call(f"configmap {name}", "GET", v.configmaps_path(self.namespace, name))
        return {str(k): str(x) for k, x in ((obj or {}).get("data") or {}).items()}

    async def read_inputs(self) -> tuple[AuthInputs, SecretState]:
        """Fresh argocd-cm and argocd-secret (writes decide on these, not on a watch cache)."""
        configmap = await self.read_configmap(v.ARGOCD_CM)
        secret = await self.read_secret(v.ARGOCD_SECRET)
        return AuthInputs(configmap, secret.data), secret

    async def update_secret(
        self, state: SecretState, changes: Mapping[str, str | None], *, labels: bool = True
    ) -> None:
        """Set (or, for ``None``, remove) keys if the Secret is still as ``state`` read it."""
        what = f"secret {state.name}"
        if not state.exists:
            metadata: dict[str, Any] = {"name": state.name, "namespace": self.namespace}
            if labels:  # as Argo CD's manifests label argocd-secret
                metadata["labels"] = {
                    "app.kubernetes.io/name": state.name,
                    "app.kubernetes.io/part-of": "argocd",
                }
            body = {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": metadata,
                "type": "Opaque",
                "data": {k: _b64(x) for k, x in changes.items() if x is not None},
            }
            await self._call(what, "POST", v.secrets_path(self.namespace), body=body)
            return
        patch = {
            "metadata": {"resourceVersion": state.resource_version},
            "data": {k: None if x is None else _b64(x) for k, x in changes.items()},
        }
        path = v.secrets_path(self.namespace, state.name)
        await self._call(what, "PATCH", path, body=patch, content_type=MERGE_PATCH)

    async def read_project(self, name: str) -> dict[str, Any] | None:
        return await self._call(f"appproject {name}", "GET", v.project_path(self.namespace, name))

    async def replace_project(self, project: Mapping[str, Any]) -> None:
        """PUT ``project`` (its ``resourceVersion`` makes the write conditional)."""
        name = str((project.get("metadata") or {}).get("name") or "")
        path = v.project_path(self.namespace, name)
        await self._call(f"appproject {name}", "PUT", path, body=dict(project))


__all__ = [
    "AuthStore",
    "KubeWriter",
    "SecretState",
    "Stale",
    "decode_secret",
    "retrying",
]
