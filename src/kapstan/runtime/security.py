"""Security of ``kapstan server``, wired: local accounts and tokens, RBAC, first-start set-up.

Contract of :func:`build_security`: the auth service reads argocd-cm and argocd-secret from
the watched settings (edits apply without a restart); on first start it generates
``server.secretkey`` and, when admin has no password, the initial one into Secret
``argocd-initial-admin-secret`` (as Argo CD), and waits until the watch has delivered the key
so the first login's token verifies; RBAC is :class:`~kapstan.services.rbac.LiveRbac` over
argocd-rbac-cm and the mirrored AppProjects; a logout revokes its token in ``revocations``
(this process's own when none is given); with ``failures`` the login throttle's counts are
shared (between replicas, through Redis); ``dex_server`` is where the bundled Dex answers
(``--dex-server``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from kapstan.api.auth import ServiceAuth
from kapstan.kube.client import KubeClient
from kapstan.services.auth import Authenticator as AuthService
from kapstan.services.auth import AuthInputs
from kapstan.services.auth.keys import SERVER_SECRET_KEY
from kapstan.services.auth.throttle import SharedFailures
from kapstan.services.mirror import Mirror
from kapstan.services.rbac import LiveRbac
from kapstan.services.revocations import Revocations
from kapstan.services.watched import SettingsSnapshot, WatchedSettings

KEY_WAIT = 30.0  # seconds for the watch to deliver a key written at start


@dataclass
class Security:
    auth: ServiceAuth
    service: AuthService
    rbac: LiveRbac

    async def close(self) -> None:
        self.service.oidc.close()


class _Inputs:
    """Auth inputs of the current settings snapshot, one object per snapshot (so the service
    reuses its parse until argocd-cm or argocd-secret change)."""

    def __init__(self, watched: WatchedSettings) -> None:
        self._watched = watched
        self._of: SettingsSnapshot | None = None
        self._inputs = AuthInputs()

    def __call__(self) -> AuthInputs:
        current = self._watched.current
        if current is not self._of:
            self._of, self._inputs = (
                current,
                AuthInputs(configmap=current.cm, secret=current.secret),
            )
        return self._inputs


async def build_security(
    kube: KubeClient,
    watched: WatchedSettings,
    mirror: Mirror,
    namespace: str,
    revocations: Revocations | None = None,
    failures: SharedFailures | None = None,
    dex_server: str = "",
) -> Security:
    """Security over the live settings (see the module contract)."""
    revocations = revocations or Revocations()
    service = AuthService(
        kube,
        namespace,
        _Inputs(watched),
        is_revoked=revocations.is_revoked,
        shared_failures=failures,
        dex_server=dex_server,
    )
    await service.ensure_bootstrap()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + KEY_WAIT
    while not watched.current.secret.get(SERVER_SECRET_KEY) and loop.time() < deadline:
        await asyncio.sleep(0.05)
    rbac = LiveRbac(
        lambda: watched.current.rbac, mirror.projects, argocd_cm=lambda: watched.current.cm
    )
    auth = ServiceAuth(service, mirror.project, revocations, scopes=rbac.scopes)
    return Security(auth, service, rbac)


__all__ = ["Security", "build_security"]
