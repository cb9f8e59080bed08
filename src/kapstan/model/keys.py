"""Resource identity: the key Argo CD uses to pair desired and live objects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


def group_of(api_version: str) -> str:
    """Return the API group of an ``apiVersion`` string (``""`` for the core group ``v1``)."""
    group, sep, _version = api_version.rpartition("/")
    return group if sep else ""


@dataclass(frozen=True, order=True)
class ResourceKey:
    """Group/kind/namespace/name of a Kubernetes object.

    The version is deliberately not part of the key: Argo CD (gitops-engine
    ``kube.ResourceKey``) treats ``apps/v1`` and ``apps/v1beta1`` of the same object as
    one resource. ``namespace`` is ``""`` for cluster-scoped objects.
    """

    group: str
    kind: str
    namespace: str
    name: str

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> ResourceKey:
        """Build the key of a plain-dict manifest; missing fields become ``""``."""
        meta = obj.get("metadata")
        if not isinstance(meta, Mapping):
            meta = {}
        return cls(
            group=group_of(str(obj.get("apiVersion") or "")),
            kind=str(obj.get("kind") or ""),
            namespace=str(meta.get("namespace") or ""),
            name=str(meta.get("name") or ""),
        )

    def __str__(self) -> str:
        return f"{self.group}/{self.kind}/{self.namespace}/{self.name}"
