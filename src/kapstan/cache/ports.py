"""What the cache needs from a Kubernetes client, as structural types.

Why not import :mod:`kapstan.kube` directly: the layers contract in ``pyproject.toml`` makes the
adapters (``source | render | kube | cache``) independent siblings, so ``cache`` may not import
``kube``. The caller (the controller layer) passes a :class:`kapstan.kube.client.KubeClient`
and a :class:`kapstan.kube.discovery.Discovery`, which satisfy these protocols as they are.

Errors are recognised by their ``code`` attribute (kube errors carry the HTTP status; 0 for
timeouts and connection failures).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any, Protocol


class ListResultLike(Protocol):
    @property
    def items(self) -> list[dict[str, Any]]: ...
    @property
    def resource_version(self) -> str: ...


class WatchEventLike(Protocol):
    @property
    def type(self) -> str: ...
    @property
    def object(self) -> dict[str, Any]: ...


class KubeApi(Protocol):
    """The subset of ``KubeClient`` the cache uses."""

    async def list(
        self, path: str, params: Mapping[str, Any] | None = None, *, limit: int = 500
    ) -> ListResultLike: ...

    def watch(
        self,
        path: str,
        *,
        resource_version: str = "",
        timeout_seconds: int = 300,
        params: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[WatchEventLike]: ...

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]: ...

    async def aclose(self) -> None: ...


class ResourceInfoLike(Protocol):
    @property
    def group(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def verbs(self) -> AbstractSet[str]: ...
    def path(self, namespace: str = "", name: str = "") -> str: ...


class DiscoveryModelLike(Protocol):
    @property
    def resources(self) -> Sequence[ResourceInfoLike]: ...
    @property
    def preferred(self) -> Mapping[str, str]: ...


class DiscoveryApi(Protocol):
    """The subset of ``Discovery`` the cache uses."""

    async def refresh(self) -> DiscoveryModelLike: ...


def status_code(error: BaseException) -> int | None:
    """The HTTP status of a kube error (0 for timeouts), ``None`` for any other exception."""
    code = getattr(error, "code", None)
    return code if isinstance(code, int) and hasattr(error, "verb") else None
