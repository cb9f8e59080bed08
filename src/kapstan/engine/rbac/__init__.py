"""RBAC with Argo CD's ``argocd-rbac-cm`` semantics, pure (no I/O).

* :meth:`Policy.from_configmap` parses ``argocd-rbac-cm`` (``policy.csv`` and every
  ``policy.<name>.csv``, ``policy.default``, ``policy.matchMode``, ``scopes``) on top of the
  built-in ``role:readonly`` / ``role:admin`` policy; invalid content raises
  :class:`RBACConfigError` naming the key and line.
* :func:`project_roles_from` reads AppProject ``spec.roles`` into :class:`ProjectRoles`.
* :class:`Enforcer` answers ``enforce(subjects, resource, action, object)`` in Argo CD's
  order; :func:`subjects_for` turns token claims into those subjects.

See ``docs/rbac.md`` for the rules and where each comes from.
"""

from __future__ import annotations

from kapstan.engine.rbac.builtin import BUILTIN_LINKS, BUILTIN_RULES
from kapstan.engine.rbac.enforcer import Enforcer
from kapstan.engine.rbac.objects import (
    app_object,
    fine_grained_action,
    request_project,
    resource_action,
)
from kapstan.engine.rbac.policy import Policy, policy_keys
from kapstan.engine.rbac.projects import (
    ProjectPolicy,
    ProjectRole,
    ProjectRoles,
    project_policy,
    project_roles_from,
)
from kapstan.engine.rbac.rules import Link, RBACConfigError, Rule
from kapstan.engine.rbac.subjects import project_role_subject, subjects_for, user_identifier

__all__ = [
    "BUILTIN_LINKS",
    "BUILTIN_RULES",
    "Enforcer",
    "Link",
    "Policy",
    "ProjectPolicy",
    "ProjectRole",
    "ProjectRoles",
    "RBACConfigError",
    "Rule",
    "app_object",
    "fine_grained_action",
    "policy_keys",
    "project_policy",
    "project_role_subject",
    "project_roles_from",
    "request_project",
    "resource_action",
    "subjects_for",
    "user_identifier",
]
