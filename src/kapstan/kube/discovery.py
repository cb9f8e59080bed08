"""API discovery: which resources exist, their plural names, scope and verbs.

Contract:

- :meth:`Discovery.refresh` reads aggregated discovery (``apidiscovery.k8s.io/v2``, two
  requests: ``/api`` and ``/apis``) and falls back to legacy per-group-version discovery when
  the server does not answer in that format;
- :meth:`Discovery.lookup` finds a kind by group (preferred version) or by group and version;
  on a miss it refreshes and, for ``wait`` seconds, keeps refreshing (a CRD applied moments
  ago becomes usable once it is Established) before raising :class:`UnknownKind`;
- :meth:`Discovery.invalidate` drops the model so the next lookup refreshes (call it when CRDs
  or APIServices change).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from kapstan.kube.client import KubeClient
from kapstan.kube.errors import KubeError, NotFound

AGGREGATED_ACCEPT = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
)


class UnknownKind(NotFound):
    """No resource of this group/kind (and version) is served by the cluster."""


@dataclass(frozen=True)
class ResourceInfo:
    """One served resource of one group version."""

    group: str
    version: str
    resource: str
    kind: str
    namespaced: bool
    verbs: frozenset[str] = frozenset()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str = "", name: str = "") -> str:
        """The URL path of the collection (or of one object when ``name`` is given)."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.resource}"
        return f"{base}/{name}" if name else base


@dataclass(frozen=True)
class DiscoveryModel:
    """A snapshot of served resources and each group's preferred version."""

    resources: tuple[ResourceInfo, ...]
    preferred: Mapping[str, str]

    def find(self, group: str, kind: str, version: str = "") -> ResourceInfo | None:
        matches = [r for r in self.resources if r.group == group and r.kind == kind]
        if version:
            return next((r for r in matches if r.version == version), None)
        pref = self.preferred.get(group)
        return next((r for r in matches if r.version == pref), matches[0] if matches else None)

    def namespaced(self, group: str, kind: str) -> bool | None:
        """Whether ``group``/``kind`` is namespaced; ``None`` when it is not served."""
        info = self.find(group, kind)
        return None if info is None else info.namespaced


def parse_aggregated(docs: Iterable[Mapping[str, Any]]) -> DiscoveryModel:
    """Build the model from ``APIGroupDiscoveryList`` documents (versions listed by preference)."""
    resources: list[ResourceInfo] = []
    preferred: dict[str, str] = {}
    for doc in docs:
        for item in doc.get("items") or []:
            group = str((item.get("metadata") or {}).get("name") or "")
            for v in item.get("versions") or []:
                version = str(v.get("version") or "")
                preferred.setdefault(group, version)
                for r in v.get("resources") or []:
                    kind = (r.get("responseKind") or {}).get("kind") or ""
                    resources.append(
                        ResourceInfo(
                            group=group,
                            version=version,
                            resource=str(r.get("resource") or ""),
                            kind=str(kind),
                            namespaced=r.get("scope") == "Namespaced",
                            verbs=frozenset(r.get("verbs") or ()),
                        )
                    )
    return DiscoveryModel(tuple(resources), preferred)


def parse_legacy_resource_list(
    group: str, version: str, doc: Mapping[str, Any]
) -> list[ResourceInfo]:
    """Resources of one legacy ``APIResourceList`` (sub-resources such as ``pods/log`` skipped)."""
    return [
        ResourceInfo(
            group=group,
            version=version,
            resource=str(r["name"]),
            kind=str(r.get("kind") or ""),
            namespaced=bool(r.get("namespaced")),
            verbs=frozenset(r.get("verbs") or ()),
        )
        for r in doc.get("resources") or []
        if "/" not in str(r.get("name", "/"))
    ]


class Discovery:
    """Cached discovery for one client (safe for concurrent use)."""

    def __init__(self, client: KubeClient, *, poll_interval: float = 0.25) -> None:
        self._client = client
        self._model: DiscoveryModel | None = None
        self._last: DiscoveryModel | None = None
        self._lock = asyncio.Lock()
        self._poll = poll_interval

    async def refresh(self) -> DiscoveryModel:
        """Re-read discovery from the server and return the new model: the very object
        returned before when nothing changed, so that callers may tell "changed" by identity
        (the controller's comparison memo does)."""
        async with self._lock:
            try:
                model = await self._aggregated()
            except KubeError:
                model = None
            if model is None:
                model = await self._legacy()
            if self._last is not None and model == self._last:
                model = self._last
            self._model = self._last = model
            return model

    def invalidate(self) -> None:
        """Forget the model; the next :meth:`model` / :meth:`lookup` call refreshes."""
        self._model = None

    async def model(self) -> DiscoveryModel:
        """The cached model (refreshed when missing)."""
        return self._model if self._model is not None else await self.refresh()

    async def lookup(
        self, group: str, kind: str, version: str = "", *, wait: float = 0.0
    ) -> ResourceInfo:
        """The resource for ``group``/``kind`` (preferred version unless ``version`` is given)."""
        found = (await self.model()).find(group, kind, version)
        if found is not None:
            return found
        deadline = time.monotonic() + wait
        while True:
            found = (await self.refresh()).find(group, kind, version)
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                gv = f"{group}/{version}" if version else group or "core"
                raise UnknownKind(f"the server does not serve kind {kind!r} in {gv}", code=404)
            await asyncio.sleep(self._poll)

    async def for_object(self, obj: Mapping[str, Any], *, wait: float = 0.0) -> ResourceInfo:
        """The resource of a manifest, by its ``apiVersion`` and ``kind``."""
        group, _, version = str(obj.get("apiVersion") or "").rpartition("/")
        return await self.lookup(group, str(obj.get("kind") or ""), version, wait=wait)

    async def is_namespaced(self, group: str, kind: str) -> bool:
        """Whether ``group``/``kind`` is namespaced (raises :class:`UnknownKind`)."""
        return (await self.lookup(group, kind)).namespaced

    async def _aggregated(self) -> DiscoveryModel | None:
        docs = []
        for path in ("/api", "/apis"):
            resp = await self._client.send("GET", path, accept=AGGREGATED_ACCEPT)
            if "apidiscovery.k8s.io" not in resp.headers.get("content-type", ""):
                return None
            docs.append(orjson.loads(resp.content))
        return parse_aggregated(docs)

    async def _legacy(self) -> DiscoveryModel:
        resources: list[ResourceInfo] = []
        preferred: dict[str, str] = {"": "v1"}
        core = await self._client.get("/api")
        for version in core.get("versions") or ["v1"]:
            doc = await self._client.get(f"/api/{version}")
            resources.extend(parse_legacy_resource_list("", version, doc))
        groups = await self._client.get("/apis")
        for g in groups.get("groups") or []:
            name = str(g["name"])
            preferred[name] = str((g.get("preferredVersion") or {}).get("version") or "")
            for v in g.get("versions") or []:
                try:
                    doc = await self._client.get(f"/apis/{v['groupVersion']}")
                except KubeError:
                    continue  # an unavailable aggregated API must not break discovery
                resources.extend(parse_legacy_resource_list(name, str(v["version"]), doc))
        return DiscoveryModel(tuple(resources), preferred)
