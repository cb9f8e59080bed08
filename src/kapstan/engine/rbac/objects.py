"""How requests name their objects and actions (the strings the API passes to enforce).

Argo CD's API builds these the same way everywhere: an application is ``<project>/<name>``,
or ``<project>/<namespace>/<name>`` when it lives outside the control plane's namespace
(apps in any namespace); a live resource of an application is reached through the actions
``update/<group>/<kind>/<namespace>/<name>`` and ``delete/...`` (``group`` is ``""`` for the
core group, so ``update//Pod/ns/web``); a resource action is ``action/<group>/<kind>/<name>``.
"""

from __future__ import annotations

from kapstan.engine.rbac.vocabulary import ACTION_ACTION, PROJECT_SCOPED, RESOURCE_PROJECTS

__all__ = ["app_object", "fine_grained_action", "request_project", "resource_action"]


def app_object(project: str, name: str, namespace: str = "", *, home_namespace: str = "") -> str:
    """The RBAC object of an Application (or ApplicationSet), as ``security.RBACName`` makes it.

    ``home_namespace`` is the control plane's namespace: an app there (or with no namespace)
    is ``<project>/<name>``; an app elsewhere is ``<project>/<namespace>/<name>``.
    """
    if home_namespace and namespace and namespace != home_namespace:
        return f"{project}/{namespace}/{name}"
    return f"{project}/{name}"


def fine_grained_action(verb: str, group: str, kind: str, namespace: str, name: str) -> str:
    """``update/<group>/<kind>/<namespace>/<name>`` (or ``delete/...``) for one live resource."""
    return f"{verb}/{group}/{kind}/{namespace}/{name}"


def resource_action(group: str, kind: str, action_name: str) -> str:
    """``action/<group>/<kind>/<action-name>`` for running a resource action."""
    return f"{ACTION_ACTION}/{group}/{kind}/{action_name}"


def request_project(resource: str, obj: str) -> str | None:
    """The project a request is about, whose role policy Argo CD loads for it.

    Project-scoped resources name it before the first ``/`` of the object (an object without
    ``/``, like a global cluster URL's scheme-less form, names none); ``projects`` requests
    name it as the whole object.
    """
    if resource in PROJECT_SCOPED:
        project, slash, _ = obj.partition("/")
        return project if slash else None
    if resource == RESOURCE_PROJECTS:
        return obj
    return None
