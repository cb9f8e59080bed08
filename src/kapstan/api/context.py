"""What the API's routes are given: the read model, the stores, the settings and security.

The API never imports the controller: it reads Applications and AppProjects from a
:class:`~kapstan.services.mirror.Mirror`, comparison results from the snapshot store, and asks
for work by writing Applications (their ``operation``, annotations or spec) through the
Applications store.
"""

from __future__ import annotations

import tempfile
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from kapstan import __version__
from kapstan.api.listing import RenderedItems
from kapstan.api.security import Authenticator, Authorizer, Principal
from kapstan.api.static import UiAssets
from kapstan.kube.client import KubeClient
from kapstan.services.applications import Applications
from kapstan.services.auth import Authenticator as AuthService
from kapstan.services.clusterclients import ClusterClients
from kapstan.services.clusterstore import ClusterRecord
from kapstan.services.manifests import ManifestService
from kapstan.services.mirror import Mirror
from kapstan.services.repoinspect import ConnectionCache, RepoInspector
from kapstan.services.snapshots import SnapshotStore
from kapstan.services.watched import SettingsSnapshot
from kapstan.services.webhooks.refresher import WebhookQueue
from kapstan.services.webhooks.subscribers import RegistrySubscribers


class Sessions(Protocol):
    """Local logins and logouts (``POST``/``DELETE /api/v1/session``)."""

    async def login(self, username: str, password: str) -> str:
        """A session token; raises :class:`~kapstan.api.errors.ApiError` when refused."""
        ...

    def duration(self) -> float:
        """Seconds a session token is valid (``users.session.duration``)."""
        ...

    async def logout(self, token: str) -> None:
        """Revoke ``token`` (an invalid one is ignored: there is nothing to revoke)."""
        ...


def version_info() -> dict[str, str]:
    """``GET /api/version``: Argo CD's ``Version`` field (clients parse it), Kapstan's own."""
    return {"Version": f"v{__version__}", "Kapstan": __version__}


ClusterProbe = Callable[[ClusterRecord], Awaitable[str]]  # the server version, or raises


@dataclass
class AdminOptions:
    """What the repository, cluster and certificate routes need besides the kube client.

    ``work_dir`` holds git caches and checkouts of repository checks (default: a directory
    under the system temp dir); ``timeout`` bounds one repository or cluster check;
    ``probe_cluster`` replaces the default cluster check (asking ``/version`` with the
    cluster Secret's credentials), e.g. in tests; the caches keep connection states.
    """

    work_dir: Path | None = None
    timeout: float = 30.0
    probe_cluster: ClusterProbe | None = None
    repo_connections: ConnectionCache = field(default_factory=ConnectionCache)
    cluster_info: ConnectionCache = field(default_factory=lambda: ConnectionCache(ttl=300.0))

    def inspector(self) -> RepoInspector:
        root = self.work_dir or Path(tempfile.gettempdir()) / "kapstan-api-repos"
        return RepoInspector(root, timeout=self.timeout)


@dataclass
class ApiContext:
    """The API's dependencies (built by :mod:`kapstan.runtime.server`)."""

    namespace: str
    kube: KubeClient
    mirror: Mirror
    applications: Applications
    snapshots: SnapshotStore
    settings: Callable[[], SettingsSnapshot]
    authn: Authenticator
    authz: Authorizer
    sessions: Sessions
    version: Mapping[str, str] = field(default_factory=version_info)
    max_body: int = 4 * 1024 * 1024  # bytes of one request body
    auth: AuthService | None = None  # accounts, API keys, project tokens (None: stand-ins)
    admin: AdminOptions = field(default_factory=AdminOptions)
    # Destination clusters (live resources, logs, actions) and the repo-server role
    # (manifests, revision metadata); routes that need one answer Unavailable without it.
    clusters: ClusterClients | None = None
    manifests: ManifestService | None = None
    rendered: RenderedItems = field(default_factory=RenderedItems)  # the app list's item JSON
    ui: UiAssets | None = None  # --staticassets: a web UI build served beside the API
    webhooks: WebhookQueue | None = None  # POST /api/webhook's pushes (made on first use)
    dex_server: str = ""  # --dex-server: where /api/dex/* is proxied ("" = Dex off)
    # Registry pushes the webhook verified, for whoever subscribes (image automation)
    registry_pushes: RegistrySubscribers = field(default_factory=RegistrySubscribers)

    def app_rbac_name(self, app: Mapping[str, Any]) -> str:
        """Argo CD's RBAC object of an Application: ``<project>/<name>`` (or
        ``<project>/<namespace>/<name>`` for apps outside the control-plane namespace)."""
        meta = app.get("metadata") or {}
        project = str((app.get("spec") or {}).get("project") or "default")
        namespace = str(meta.get("namespace") or self.namespace)
        name = str(meta.get("name") or "")
        if namespace != self.namespace:
            return f"{project}/{namespace}/{name}"
        return f"{project}/{name}"

    def may(self, principal: Principal, resource: str, action: str, obj: str) -> bool:
        return self.authz.allowed(principal, resource, action, obj)


__all__ = ["AdminOptions", "ApiContext", "ClusterProbe", "Sessions", "version_info"]
