"""Argo CD's typed Secrets (``argocd.argoproj.io/secret-type``) read and written as plain strings.

Contract:

- :func:`secret_strings` decodes a Secret's ``data`` (base64) and ``stringData`` (which wins
  for the same key, as the API server merges them); a key whose value is not valid base64
  UTF-8 is left out (its name is reported by :func:`undecodable_keys`, never its value);
- :class:`TypedSecrets` lists, creates, replaces and deletes the Secrets of one type in one
  namespace; what it writes carries the type label and Argo CD's ``managed-by`` annotation
  and keeps its values in ``data`` (base64), as Argo CD writes them;
- :func:`fnv32a` is the 32-bit FNV-1a hash Argo CD names its Secrets with.
"""

from __future__ import annotations

import base64
import binascii
import copy
from collections.abc import Mapping
from typing import Any

from kapstan.kube.client import KubeClient
from kapstan.model.vocabulary import SECRET_TYPE_LABEL, secrets_path

MANAGED_BY = "managed-by"
MANAGED_BY_ARGOCD = "argocd.argoproj.io"


def fnv32a(text: str) -> int:
    """The 32-bit FNV-1a hash of ``text``'s UTF-8 bytes."""
    value = 0x811C9DC5
    for byte in text.encode():
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def _decoded(value: Any) -> str | None:
    try:
        return base64.b64decode(str(value), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def secret_strings(secret: Mapping[str, Any]) -> dict[str, str]:
    """The Secret's values as text (see the module contract)."""
    out: dict[str, str] = {}
    for key, value in (secret.get("data") or {}).items():
        text = _decoded(value)
        if text is not None:
            out[str(key)] = text
    for key, value in (secret.get("stringData") or {}).items():
        out[str(key)] = str(value)
    return out


def undecodable_keys(secret: Mapping[str, Any]) -> list[str]:
    """Names of ``data`` keys that are not base64 UTF-8 (for error messages)."""
    return sorted(str(k) for k, v in (secret.get("data") or {}).items() if _decoded(v) is None)


def secret_name(secret: Mapping[str, Any]) -> str:
    return str((secret.get("metadata") or {}).get("name") or "")


def encode(values: Mapping[str, str]) -> dict[str, str]:
    """``data`` for ``values`` (empty values are left out, as Argo CD drops empty keys)."""
    return {k: base64.b64encode(v.encode()).decode() for k, v in sorted(values.items()) if v}


class TypedSecrets:
    """The Secrets of one ``secret-type`` in ``namespace`` (see the module contract)."""

    def __init__(self, kube: KubeClient, namespace: str, secret_type: str) -> None:
        self.kube = kube
        self.namespace = namespace
        self.secret_type = secret_type

    async def list(self) -> list[dict[str, Any]]:
        """Every Secret of the type, sorted by name."""
        found = await self.kube.list(
            secrets_path(self.namespace),
            {"labelSelector": f"{SECRET_TYPE_LABEL}={self.secret_type}"},
        )
        return sorted(found.items, key=secret_name)

    def build(
        self,
        name: str,
        values: Mapping[str, str],
        *,
        labels: Mapping[str, str] | None = None,
        annotations: Mapping[str, str] | None = None,
        base: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A Secret named ``name`` holding ``values``; ``base`` (an existing Secret) keeps its
        metadata (resourceVersion, other labels) unless ``labels``/``annotations`` replace them."""
        secret: dict[str, Any] = copy.deepcopy(dict(base)) if base else {}
        secret.update(apiVersion="v1", kind="Secret", type="Opaque")
        meta = secret.setdefault("metadata", {})
        meta.update(name=name, namespace=self.namespace)
        if labels is not None or "labels" not in meta:
            meta["labels"] = dict(labels or {})
        if annotations is not None or "annotations" not in meta:
            meta["annotations"] = dict(annotations or {})
        meta["labels"][SECRET_TYPE_LABEL] = self.secret_type
        meta["annotations"][MANAGED_BY] = MANAGED_BY_ARGOCD
        meta.pop("managedFields", None)
        secret.pop("stringData", None)
        secret["data"] = encode(values)
        return secret

    async def create(self, secret: Mapping[str, Any]) -> dict[str, Any]:
        created: dict[str, Any] = await self.kube.request(
            "POST", secrets_path(self.namespace), None, dict(secret)
        )
        return created

    async def replace(self, secret: Mapping[str, Any]) -> dict[str, Any]:
        path = secrets_path(self.namespace, secret_name(secret))
        updated: dict[str, Any] = await self.kube.request("PUT", path, None, dict(secret))
        return updated

    async def delete(self, name: str) -> None:
        await self.kube.request("DELETE", secrets_path(self.namespace, name))


__all__ = [
    "MANAGED_BY",
    "MANAGED_BY_ARGOCD",
    "TypedSecrets",
    "encode",
    "fnv32a",
    "secret_name",
    "secret_strings",
    "undecodable_keys",
]
