"""AppProject roles: ``spec.roles[]`` parsed, validated and turned into policy.

A role ``{name, policies, groups}`` of project ``P`` contributes, in Argo CD's order
(``AppProject.ProjectPoliciesString``): ``p, proj:P:<role>, projects, get, P, allow`` (a
role may always read its project), its ``policies`` lines, and ``g, <group>, proj:P:<role>``
for each of its ``groups``. That policy is loaded only for requests about ``P``.

Roles are validated the way Argo CD's API validates an AppProject (``ValidateProject``): a
policy must be ``p, proj:P:<role>, <resource>, <action>, P/<name>[/<name>], allow|deny`` with
a project-scoped resource - so a role can never name another project's objects. A project
that fails contributes no role at all (Argo CD falls back to the global policy when a project
policy does not load); the failure is reported in :attr:`ProjectRoles.errors`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kapstan.engine.rbac.csvline import go_trim_space
from kapstan.engine.rbac.lines import ParsedLines, parse_lines
from kapstan.engine.rbac.rules import Link, RBACConfigError, Rule
from kapstan.engine.rbac.vocabulary import (
    ACTION_CREATE,
    ACTION_DELETE,
    ACTION_GET,
    ACTION_OVERRIDE,
    ACTION_SYNC,
    ACTION_UPDATE,
    EFFECT_ALLOW,
    EFFECT_DENY,
    PROJECT_SCOPED,
    PROJECT_SUBJECT_PREFIX,
    RESOURCE_PROJECTS,
)
from kapstan.model.fields import as_list, as_map, as_str

__all__ = ["ProjectPolicy", "ProjectRole", "ProjectRoles", "project_policy", "project_roles_from"]

_ROLE_NAME = re.compile(r"[a-zA-Z0-9]([-_a-zA-Z0-9]*[a-zA-Z0-9])?")
_ACTIONS = frozenset(
    {ACTION_GET, ACTION_CREATE, ACTION_UPDATE, ACTION_DELETE, ACTION_SYNC, ACTION_OVERRIDE, "*"}
)
# Argo CD tests these with an unanchored regexp search: containing one is enough.
_ACTION_PREFIXES = ("action/", "update/", "delete/")
_OBJECT_SEGMENT = r"/[*A-Za-z0-9_.-]+"
_GROUP_FORBIDDEN = frozenset('"\n\r\t')


@dataclass(frozen=True)
class ProjectRole:
    """One ``spec.roles[]`` entry of ``project``; its subject is ``proj:<project>:<name>``."""

    project: str
    name: str
    policies: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()

    @property
    def subject(self) -> str:
        return f"{PROJECT_SUBJECT_PREFIX}:{self.project}:{self.name}"


@dataclass(frozen=True)
class ProjectPolicy:
    """A project's roles and the rules and links they load (empty if the project failed)."""

    name: str
    roles: tuple[ProjectRole, ...] = ()
    rules: tuple[Rule, ...] = ()
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class ProjectRoles:
    """Every known project's role policy, by project name, and the projects that failed."""

    projects: Mapping[str, ProjectPolicy] = field(default_factory=dict)
    errors: tuple[RBACConfigError, ...] = ()


def _policy_problem(project: str, role: str, policy: str) -> str | None:
    # Argo CD splits on bare commas and trims spaces only (not tabs) for this check.
    parts = [p.strip(" ") for p in policy.split(",")]
    if len(parts) != 6 or parts[0] != "p":
        return "must be of the form p, sub, res, act, obj, eft"
    _, subject, resource, action, obj, effect = parts
    expected = f"{PROJECT_SUBJECT_PREFIX}:{project}:{role}"
    if subject != expected:
        return f"the subject must be {expected!r}, not {subject!r}"
    if resource not in PROJECT_SCOPED:
        allowed = ", ".join(sorted(PROJECT_SCOPED))
        return f"a project role cannot grant {resource!r} (only {allowed})"
    if action not in _ACTIONS and not any(p in action for p in _ACTION_PREFIXES):
        return f"invalid action {action!r}"
    if not re.fullmatch(f"{re.escape(project)}{_OBJECT_SEGMENT}(?:{_OBJECT_SEGMENT})?", obj):
        return f"the object must be {project}/<name> or {project}/<namespace>/<name>, not {obj!r}"
    if effect not in (EFFECT_ALLOW, EFFECT_DENY):
        return "the effect must be allow or deny"
    return None


def _group_problem(group: str) -> str | None:
    name = go_trim_space(group)
    if len(name) > 1 and name.startswith('"') and name.endswith('"'):
        name = name[1:-1]
    elif "," in name:
        return "must be quoted (it contains a comma)"
    if not name:
        return "is empty"
    if _GROUP_FORBIDDEN.intersection(name):
        return "contains invalid characters"
    return None


def _strings(values: Any, what: str, key: str) -> tuple[str, ...]:
    items = as_list(values)
    if not all(isinstance(v, str) for v in items):
        raise RBACConfigError(key, f"every {what} must be a string")
    if len(set(items)) != len(items):
        raise RBACConfigError(key, f"a {what} is listed twice")
    return tuple(items)


def _role(project: str, raw: Any, key: str) -> ProjectRole:
    entry = as_map(raw)
    name = as_str(entry.get("name"))
    if not _ROLE_NAME.fullmatch(name):
        raise RBACConfigError(key, f"invalid role name {name!r}: letters, digits, - and _ only")
    role_key = f"{key} role {name}"
    role = ProjectRole(
        project,
        name,
        _strings(entry.get("policies"), "policy", role_key),
        _strings(entry.get("groups"), "group", role_key),
    )
    for policy in role.policies:
        if (problem := _policy_problem(project, name, policy)) is not None:
            raise RBACConfigError(role_key, f"invalid policy: {problem}", text=policy)
    for group in role.groups:
        if (problem := _group_problem(group)) is not None:
            raise RBACConfigError(role_key, f"group {problem}", text=group)
    return role


def _load(name: str, roles: Sequence[ProjectRole], key: str) -> ProjectPolicy:
    """Load the roles' policy through the same line parser as ``argocd-rbac-cm``."""
    parsed = ParsedLines()
    for role in roles:
        parsed.rules.append(Rule(role.subject, RESOURCE_PROJECTS, ACTION_GET, name, source=key))
        lines = [*role.policies, *(f"g, {group}, {role.subject}" for group in role.groups)]
        parse_lines("\n".join(lines), f"{key} role {role.name}", parsed)
    return ProjectPolicy(name, tuple(roles), tuple(parsed.rules), tuple(parsed.links))


def project_policy(project: Mapping[str, Any]) -> ProjectPolicy:
    """Validate and load one raw AppProject; raises :class:`RBACConfigError` if invalid."""
    name = as_str(as_map(project.get("metadata")).get("name"))
    if not name:
        raise RBACConfigError("project", "an AppProject without metadata.name")
    key = f"project {name}"
    roles: list[ProjectRole] = []
    for raw in as_list(as_map(project.get("spec")).get("roles")):
        role = _role(name, raw, key)
        if any(r.name == role.name for r in roles):
            raise RBACConfigError(key, f"role {role.name!r} is listed twice")
        roles.append(role)
    return _load(name, roles, key)


def project_roles_from(projects: Iterable[Mapping[str, Any]]) -> ProjectRoles:
    """The role policy of every AppProject in ``projects`` (raw dicts, as the API serves them).

    Never raises: a project that fails validation is known (so its name still scopes
    requests) but grants nothing through roles, and its error is in ``errors``.
    """
    loaded: dict[str, ProjectPolicy] = {}
    errors: list[RBACConfigError] = []
    for project in projects:
        name = as_str(as_map(project.get("metadata")).get("name"))
        if name in loaded:
            errors.append(RBACConfigError(f"project {name}", "listed twice; the first one is used"))
            continue
        try:
            loaded[name] = project_policy(project)
        except RBACConfigError as err:
            errors.append(err)
            if name:
                loaded[name] = ProjectPolicy(name)
    return ProjectRoles(loaded, tuple(errors))
