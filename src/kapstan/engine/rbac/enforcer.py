"""The enforcer: Argo CD's order of evaluation over a :class:`Policy` and project roles.

For a request ``(subjects, resource, action, object)`` - ``subjects[0]`` the user,
``subjects[1:]`` the groups, as :func:`subjects_for` returns them - Argo CD's API allows it
as soon as one of these evaluations allows (each is casbin's "some allow and no deny" for one
subject, so a deny only cancels allows *within* that evaluation):

1. ``policy.default``, against the global policy (``util/rbac`` ``enforce``).
2. The claims: if the request is about a known project ``P`` (the object's first segment for
   project-scoped resources, the object itself for ``projects``), ``P``'s role policy joins
   the global one (``server/rbacpolicy`` ``EnforceClaims``):

   * a project role token ``proj:X:R`` is, for a request about a known project, evaluated
     only if ``X == P`` (after the default role again), and its groups are ignored;
   * otherwise the default role again, then the user, then each group that is the member
     side of some ``g`` line (a group named only in ``p`` lines is never evaluated:
     argo-cd #7952).
3. The empty subject ``""`` against the global policy (what ``enforce`` falls back to after
   the claims check fails).

A role's denies therefore cannot take away what ``policy.default`` or another group grants.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from kapstan.engine.rbac.objects import fine_grained_action, request_project
from kapstan.engine.rbac.policy import Policy
from kapstan.engine.rbac.projects import ProjectRoles
from kapstan.engine.rbac.scope import Scope, Table, compile_rules
from kapstan.engine.rbac.subjects import project_role_subject
from kapstan.engine.rbac.vocabulary import ACTION_DELETE, ACTION_UPDATE, RESOURCE_APPLICATIONS

__all__ = ["Enforcer"]

_PLAN_LIMIT = 8192
_PlanKey = tuple[tuple[str, ...], str, str, str | None]


class _Plan:
    """The decision tables of one request shape, in evaluation order; allowed if any allows."""

    __slots__ = ("constant", "tables")

    def __init__(self, tables: list[Table]) -> None:
        self.tables = tuple(t for t in dict.fromkeys(tables) if t.constant is not False)
        self.constant: bool | None = None
        if any(t.constant for t in self.tables):
            self.constant = True
        elif not self.tables:
            self.constant = False

    def decide(self, obj: str) -> bool:
        if self.constant is not None:
            return self.constant
        for table in self.tables:  # noqa: SIM110 - a loop is faster than any() here
            if table.decide(obj):
                return True
        return False


class Enforcer:
    """Answers RBAC questions for one :class:`Policy` and one set of project roles.

    Immutable from the outside: build a new one when ``argocd-rbac-cm`` or the AppProjects
    change. Decisions are cached per request shape, so repeating a question - or asking it
    for many objects through :meth:`checker` - is cheap. Safe to share between threads.
    """

    def __init__(self, policy: Policy, project_roles: ProjectRoles | None = None) -> None:
        self.policy = policy
        self.project_roles = project_roles if project_roles is not None else ProjectRoles()
        self._global_rules = compile_rules(policy.rules, policy.match_mode)
        self._global = Scope(self._global_rules, policy.links)
        self._scopes: dict[str, Scope] = {}
        self._plans: dict[_PlanKey, _Plan] = {}

    def _project(self, resource: str, obj: str) -> str | None:
        name = request_project(resource, obj)
        return name if name is not None and name in self.project_roles.projects else None

    def _scope(self, project: str | None) -> Scope:
        if project is None:
            return self._global
        scope = self._scopes.get(project)
        if scope is None:
            extra = self.project_roles.projects[project]
            scope = self._global
            if extra.rules or extra.links:
                rules = compile_rules(extra.rules, self.policy.match_mode)
                scope = Scope((*self._global_rules, *rules), (*self.policy.links, *extra.links))
            self._scopes[project] = scope
        return scope

    def _plan(self, subjects: tuple[str, ...], res: str, act: str, project: str | None) -> _Plan:
        key = (subjects, res, act, project)
        plan = self._plans.get(key)
        if plan is not None:
            return plan
        scope = self._scope(project)
        user = subjects[0] if subjects else ""
        tables: list[Table] = []
        default = self.policy.default_role
        if default:
            tables += [self._global.table(default, res, act), scope.table(default, res, act)]
        token = project_role_subject(user)
        if project is not None and token is not None:
            if token[0] == project:
                tables.append(scope.table(user, res, act))
        else:
            tables.append(scope.table(user, res, act))
            tables += [scope.table(g, res, act) for g in subjects[1:] if g in scope.members]
        tables.append(self._global.table("", res, act))
        plan = _Plan(tables)
        if len(self._plans) >= _PLAN_LIMIT:
            self._plans.clear()
        self._plans[key] = plan
        return plan

    def enforce(self, subjects: Sequence[str], resource: str, action: str, obj: str) -> bool:
        """Whether ``subjects`` (user first, then groups) may ``action`` on ``resource`` ``obj``."""
        subjects = tuple(subjects)
        return self._plan(subjects, resource, action, self._project(resource, obj)).decide(obj)

    def checker(self, subjects: Sequence[str], resource: str, action: str) -> Callable[[str], bool]:
        """A function of the object answering :meth:`enforce` for fixed subjects, resource and
        action: the fast path for filtering a list (one plan per project, then a set lookup
        or a pattern match per object)."""
        frozen = tuple(subjects)
        plans: dict[str | None, _Plan] = {}

        def check(obj: str) -> bool:
            project = self._project(resource, obj)
            plan = plans.get(project)
            if plan is None:
                plan = plans[project] = self._plan(frozen, resource, action, project)
            return plan.decide(obj)

        return check

    def enforce_app_resource(
        self,
        subjects: Sequence[str],
        verb: str,
        app: str,
        group: str,
        kind: str,
        namespace: str,
        name: str,
        *,
        inherit: bool = False,
    ) -> bool:
        """May ``subjects`` ``update`` or ``delete`` one live resource of application ``app``?

        Since Argo CD 3.0 only ``<verb>/<group>/<kind>/<namespace>/<name>`` is checked, so a
        plain ``update`` on the app does not reach its resources; ``inherit=True`` restores
        the 2.x behaviour (``server.rbac.disableApplicationFineGrainedRBACInheritance:
        "false"`` in ``argocd-cm``): the plain verb first, then the fine-grained one. Other
        verbs are checked as they are.
        """
        if verb not in (ACTION_UPDATE, ACTION_DELETE):
            return self.enforce(subjects, RESOURCE_APPLICATIONS, verb, app)
        if inherit and self.enforce(subjects, RESOURCE_APPLICATIONS, verb, app):
            return True
        action = fine_grained_action(verb, group, kind, namespace, name)
        return self.enforce(subjects, RESOURCE_APPLICATIONS, action, app)
