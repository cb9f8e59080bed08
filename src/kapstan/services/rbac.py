"""RBAC as it stands now: ``argocd-rbac-cm`` and the AppProjects' roles, followed live.

Contract of :class:`LiveRbac`:

- :meth:`allowed` answers with an :class:`~kapstan.engine.rbac.Enforcer` built from the
  current ``argocd-rbac-cm`` data (``rbac()``) and AppProjects (``projects()``); it is rebuilt
  only when one of them changed (the rbac mapping is a new object, a project's
  resourceVersion moved), so a change applies to the next request without a restart and an
  unchanged policy costs nothing;
- an ``argocd-rbac-cm`` Argo CD would not load keeps the last good policy (at start: the
  built-in roles only) and the error is logged once per distinct content — never a
  partial policy; invalid project roles grant nothing (logged once);
- ``fine_grained_inheritance()`` is argocd-cm's
  ``server.rbac.disableApplicationFineGrainedRBACInheritance == "false"``: plain
  ``update``/``delete`` then also cover the fine-grained resource actions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from kapstan.engine.rbac import Enforcer, Policy, RBACConfigError, project_roles_from

log = logging.getLogger(__name__)
INHERITANCE_KEY = "server.rbac.disableApplicationFineGrainedRBACInheritance"


class Subjects(Protocol):
    @property
    def subjects(self) -> Sequence[str]: ...


def _versions(projects: Sequence[Mapping[str, Any]]) -> tuple[tuple[str, str], ...]:
    out = []
    for project in projects:
        meta = project.get("metadata") or {}
        out.append((str(meta.get("name") or ""), str(meta.get("resourceVersion") or "")))
    return tuple(out)


class LiveRbac:
    """An :class:`~kapstan.api.security.Authorizer` over live settings (see the contract)."""

    def __init__(
        self,
        rbac: Callable[[], Mapping[str, str]],
        projects: Callable[[], Sequence[Mapping[str, Any]]],
        argocd_cm: Callable[[], Mapping[str, str]] = dict,
    ) -> None:
        self._rbac = rbac
        self._projects = projects
        self._cm = argocd_cm
        self._policy = Policy.from_configmap({})
        self._rbac_seen: Mapping[str, str] | None = None
        self._projects_seen: tuple[tuple[str, str], ...] | None = None
        self._enforcer = Enforcer(self._policy)
        self._reported: set[str] = set()

    def _report(self, message: str) -> None:
        if message not in self._reported:
            self._reported.add(message)
            log.error("%s", message)

    def enforcer(self) -> Enforcer:
        """The enforcer of the current settings (rebuilt when they changed)."""
        data = self._rbac()
        projects = self._projects()
        versions = _versions(projects)
        if data is self._rbac_seen and versions == self._projects_seen:
            return self._enforcer
        if data is not self._rbac_seen:
            self._rbac_seen = data
            try:
                self._policy = Policy.from_configmap(data)
            except RBACConfigError as err:
                self._report(f"argocd-rbac-cm is invalid, keeping the previous policy: {err}")
            else:
                for warning in self._policy.warnings:
                    self._report(f"argocd-rbac-cm: {warning}")
        self._projects_seen = versions
        roles = project_roles_from(projects)
        for error in roles.errors:
            self._report(f"AppProject roles ignored: {error}")
        self._enforcer = Enforcer(self._policy, roles)
        return self._enforcer

    def scopes(self) -> tuple[str, ...]:
        """argocd-rbac-cm ``scopes``: the token claims whose values are an SSO user's groups."""
        self.enforcer()
        return self._policy.scopes

    def fine_grained_inheritance(self) -> bool:
        return str(self._cm().get(INHERITANCE_KEY, "true")).strip().lower() == "false"

    def allowed(self, principal: Subjects, resource: str, action: str, obj: str) -> bool:
        return self.enforcer().enforce(principal.subjects, resource, action, obj)


__all__ = ["INHERITANCE_KEY", "LiveRbac"]
