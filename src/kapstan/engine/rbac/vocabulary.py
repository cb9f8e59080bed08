"""RBAC vocabulary: the ``argocd-rbac-cm`` keys, resources, actions, roles and subject forms.

Every value is spelled as Argo CD spells it, so an Argo CD installation's ``argocd-rbac-cm``
and AppProject roles mean the same thing to Kapstan. Names that already exist in the model
(the Argo CD API resources) come from there.
"""

from __future__ import annotations

from typing import Final

from kapstan.model.vocabulary import APPLICATIONS, APPLICATIONSETS

# -- argocd-rbac-cm keys -------------------------------------------------------------------------
POLICY_CSV_KEY: Final = "policy.csv"
POLICY_DEFAULT_KEY: Final = "policy.default"
MATCH_MODE_KEY: Final = "policy.matchMode"
SCOPES_KEY: Final = "scopes"
# Extra policy keys are ``policy.<anything>.csv``, appended after ``policy.csv`` in key order.
OVERLAY_PREFIX: Final = "policy."
OVERLAY_SUFFIX: Final = ".csv"

GLOB: Final = "glob"
REGEX: Final = "regex"
DEFAULT_SCOPES: Final = ("groups",)

# -- resources -------------------------------------------------------------------------------------
RESOURCE_APPLICATIONS: Final = APPLICATIONS
RESOURCE_APPLICATIONSETS: Final = APPLICATIONSETS
RESOURCE_CLUSTERS: Final = "clusters"
RESOURCE_PROJECTS: Final = "projects"
RESOURCE_REPOSITORIES: Final = "repositories"
RESOURCE_WRITE_REPOSITORIES: Final = "write-repositories"
RESOURCE_CERTIFICATES: Final = "certificates"
RESOURCE_ACCOUNTS: Final = "accounts"
RESOURCE_GPGKEYS: Final = "gpgkeys"
RESOURCE_LOGS: Final = "logs"
RESOURCE_EXEC: Final = "exec"
RESOURCE_EXTENSIONS: Final = "extensions"

# Resources whose object may start with ``<project>/``: a request for one of them loads that
# project's role policy, and they are the only resources a project role may grant.
PROJECT_SCOPED: Final = frozenset(
    {
        RESOURCE_APPLICATIONS,
        RESOURCE_APPLICATIONSETS,
        RESOURCE_LOGS,
        RESOURCE_EXEC,
        RESOURCE_CLUSTERS,
        RESOURCE_REPOSITORIES,
    }
)

# -- actions ---------------------------------------------------------------------------------------
ACTION_GET: Final = "get"
ACTION_CREATE: Final = "create"
ACTION_UPDATE: Final = "update"
ACTION_DELETE: Final = "delete"
ACTION_SYNC: Final = "sync"
ACTION_OVERRIDE: Final = "override"
ACTION_ACTION: Final = "action"
ACTION_INVOKE: Final = "invoke"

# -- effects, roles, subjects ---------------------------------------------------------------
EFFECT_ALLOW: Final = "allow"
EFFECT_DENY: Final = "deny"

ROLE_ADMIN: Final = "role:admin"
ROLE_READONLY: Final = "role:readonly"
ADMIN_USER: Final = "admin"

# A project role's subject is ``proj:<project>:<role>``.
PROJECT_SUBJECT_PREFIX: Final = "proj"
# The ``iss`` of tokens Argo CD signs itself (local sessions, API keys, project role tokens).
SESSION_ISSUER: Final = "argocd"

# Casbin's role manager follows ``g`` links at most this many hops from the subject.
MAX_ROLE_DEPTH: Final = 10
