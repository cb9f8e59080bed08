"""The built-in policy Argo CD always loads before ``policy.csv``.

``role:readonly`` may ``get`` every resource that has a ``get``; ``role:admin`` may do every
action of every resource and inherits ``role:readonly``; the local ``admin`` user is
``role:admin``. Project-scoped resources take ``*/*`` objects (``<project>/<name>``), the
others ``*``. Written here as data, from Argo CD 3.x's ``assets/builtin-policy.csv``:
``update/*`` and ``delete/*`` are granted separately because, since 3.0, plain ``update`` and
``delete`` no longer reach an application's resources. ``exec`` grants only ``create``
(3.6 has no ``debug`` action), ``extensions`` nothing: ``invoke`` must be granted explicitly.
"""

from __future__ import annotations

from typing import Final

from kapstan.engine.rbac.rules import Link, Rule
from kapstan.engine.rbac.vocabulary import (
    ACTION_ACTION,
    ACTION_CREATE,
    ACTION_DELETE,
    ACTION_GET,
    ACTION_OVERRIDE,
    ACTION_SYNC,
    ACTION_UPDATE,
    ADMIN_USER,
    RESOURCE_ACCOUNTS,
    RESOURCE_APPLICATIONS,
    RESOURCE_APPLICATIONSETS,
    RESOURCE_CERTIFICATES,
    RESOURCE_CLUSTERS,
    RESOURCE_EXEC,
    RESOURCE_GPGKEYS,
    RESOURCE_LOGS,
    RESOURCE_PROJECTS,
    RESOURCE_REPOSITORIES,
    RESOURCE_WRITE_REPOSITORIES,
    ROLE_ADMIN,
    ROLE_READONLY,
)

__all__ = ["BUILTIN_LINKS", "BUILTIN_RULES"]

_SOURCE = "builtin"
_IN_PROJECT = "*/*"
_ANY = "*"
_CRUD = (ACTION_CREATE, ACTION_UPDATE, ACTION_DELETE)

# role:readonly: resource -> object pattern of its get rule.
_READONLY_GET: Final = (
    (RESOURCE_APPLICATIONS, _IN_PROJECT),
    (RESOURCE_APPLICATIONSETS, _IN_PROJECT),
    (RESOURCE_CERTIFICATES, _ANY),
    (RESOURCE_CLUSTERS, _ANY),
    (RESOURCE_REPOSITORIES, _ANY),
    (RESOURCE_WRITE_REPOSITORIES, _ANY),
    (RESOURCE_PROJECTS, _ANY),
    (RESOURCE_ACCOUNTS, _ANY),
    (RESOURCE_GPGKEYS, _ANY),
    (RESOURCE_LOGS, _IN_PROJECT),
)

# role:admin: resource, actions, object pattern (get comes from role:readonly).
_ADMIN: Final = (
    (
        RESOURCE_APPLICATIONS,
        (
            ACTION_CREATE,
            ACTION_UPDATE,
            f"{ACTION_UPDATE}/*",
            ACTION_DELETE,
            f"{ACTION_DELETE}/*",
            ACTION_SYNC,
            ACTION_OVERRIDE,
            f"{ACTION_ACTION}/*",
        ),
        _IN_PROJECT,
    ),
    (RESOURCE_APPLICATIONSETS, (ACTION_GET, *_CRUD), _IN_PROJECT),
    (RESOURCE_CERTIFICATES, _CRUD, _ANY),
    (RESOURCE_CLUSTERS, _CRUD, _ANY),
    (RESOURCE_REPOSITORIES, _CRUD, _ANY),
    (RESOURCE_WRITE_REPOSITORIES, _CRUD, _ANY),
    (RESOURCE_PROJECTS, _CRUD, _ANY),
    (RESOURCE_ACCOUNTS, (ACTION_UPDATE,), _ANY),
    (RESOURCE_GPGKEYS, (ACTION_CREATE, ACTION_DELETE), _ANY),
    (RESOURCE_EXEC, (ACTION_CREATE,), _IN_PROJECT),
)

BUILTIN_RULES: Final = tuple(
    Rule(ROLE_READONLY, resource, ACTION_GET, obj, source=_SOURCE)
    for resource, obj in _READONLY_GET
) + tuple(
    Rule(ROLE_ADMIN, resource, action, obj, source=_SOURCE)
    for resource, actions, obj in _ADMIN
    for action in actions
)

BUILTIN_LINKS: Final = (
    Link(ROLE_ADMIN, ROLE_READONLY, _SOURCE),
    Link(ADMIN_USER, ROLE_ADMIN, _SOURCE),
)
