"""Refresh one Application: compare Git with the live cluster and write ``status``.

Contract of :meth:`Reconciler.refresh` (called by the
:class:`~kapstan.controller.appcontroller.Controller` for one app at a time):

- the destination is resolved through :class:`~kapstan.services.clusters.Clusters`; an
  unknown cluster, a missing project or a project violation (source repo, destination, a
  resource kind) becomes an ``InvalidSpecError`` condition and the app is not synced;
- manifests: a ``LIVE`` refresh re-uses the manifests generated last time for the same spec;
  ``NORMAL`` re-resolves the revision (rendering again only on a new commit: render cache),
  from a ``git ls-remote`` of the repository at most :data:`REVISION_TTL` old (shared by
  the apps of that repository), and a ``POLL`` (the periodic one) likewise from one up to a
  twelfth of the poll period old (:func:`revision_age`);
  ``HARD`` renders again. A render error (or an invalid ``spec.ignoreDifferences`` rule) is a
  ``ComparisonError`` and nothing is applied or pruned;
- the comparison uses the current settings (watched: tracking method, health
  customizations, argocd-cm ignore rules, server-side diff) plus the app's own
  ``spec.ignoreDifferences``; with server-side diff, predicted live states come from dry runs
  (:mod:`kapstan.controller.serverdiff`), a failed dry run being a ``ComparisonError``
  condition for that resource, which is then compared three-way;
- live objects come from the cluster's watch cache (API lists until it is synced);
- an app none of whose comparison inputs changed since its last comparison (see
  :mod:`kapstan.controller.compared`) reuses that result instead of computing it again: a
  poll of an unchanged app costs a revision check and the ``reconciledAt`` write (or not
  even that, see below);
- for each drifted resource the field managers that changed the drifted fields are looked
  up in the live object's ``managedFields`` (drift forensics, :mod:`kapstan.controller.drift`);
- a desired object that exists tracked by another app gives a ``SharedResourceWarning``;
- the comparison is published to the snapshot store (:mod:`kapstan.controller.published`);
- only the keys refresh owns are written (``sync``, ``health``, ``resources``, ``summary``,
  ``conditions``, ``sourceType(s)``, ``reconciledAt``, ``observedAt``), each with a JSON patch
  ``add`` (``operationState`` and ``history`` belong to operations); nothing is written
  when only the timestamps would change on a ``LIVE`` refresh, nor on a Git poll (not an
  explicit refresh) while ``reconciledAt`` is younger than argocd-cmd-params-cm's
  ``controller.reconciledat.interval`` (default 0: every poll writes it); a condition that
  persists keeps its ``lastTransitionTime``; an operation the caller's ``start`` returns for this
  comparison (an automated sync) is set in the same write; the end of an operation the
  caller's ``finish`` returns (:class:`Finish`) is written with this comparison, removing
  ``operation``, or the whole write waits (``hold``) and the refresh writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from kapstan.controller.compared import Compared, Memo, inputs_key
from kapstan.controller.drift import DriftForensics
from kapstan.controller.published import comparison_snapshot, orphans_of
from kapstan.controller.queue import Level
from kapstan.controller.serverdiff import DryRunRequest, DryRunResults, DryRuns
from kapstan.engine.compare import CompareSettings, compute_status, exclude
from kapstan.engine.conditions import condition, keep_transition_times, parse_rfc3339, rfc3339
from kapstan.engine.diff import ResourceDiff
from kapstan.engine.ignore import IgnoreConfigError, IgnoreRule, app_rules
from kapstan.engine.mode import DiffMode, choose_mode, include_mutation_webhook
from kapstan.engine.pairing import pair_resources, with_namespace
from kapstan.engine.project import Project, sync_allowed, violations
from kapstan.engine.project.orphans import warning as orphan_warning
from kapstan.kube.apply import Writer
from kapstan.kube.discovery import DiscoveryModel
from kapstan.kube.errors import KubeError
from kapstan.model.annotations import is_hook, is_skip
from kapstan.model.application import Application
from kapstan.model.conditions import ConditionType
from kapstan.model.keys import ResourceKey
from kapstan.services.applications import KEEP, Applications, OperationChange
from kapstan.services.clusters import Clusters, DestinationError, Target
from kapstan.services.livestate import (
    ManagedFields,
    from_api,
    from_cache,
    shared_with_others,
)
from kapstan.services.manifests import (
    GeneratedManifests,
    ManifestGenerationError,
    ManifestSource,
)
from kapstan.services.settings import Settings
from kapstan.services.snapshots import SnapshotStore

log = logging.getLogger(__name__)
REFRESH_KEYS = (
    "sync",
    "health",
    "resources",
    "summary",
    "conditions",
    "sourceType",
    "sourceTypes",
    "reconciledAt",
    "observedAt",
)
_STAMPS = ("reconciledAt", "observedAt")
# Spec changes of many apps on one repository share a `git ls-remote` this recent; their
# periodic polls one up to a twelfth of the poll period old, at most POLL_REVISION_TTL (a
# commit is seen at most that much later than the period says; Argo CD's repo-server shares
# one for 3 minutes). At 1,000 apps polled every 3 minutes, one every 3 s cost about 1 % of
# a core.
REVISION_TTL = 3.0
POLL_REVISION_TTL = 15.0


@dataclass(frozen=True)
class Refreshed:
    """The outcome of one refresh: the app as written, its status and where it deploys."""

    app: dict[str, Any]
    status: dict[str, Any]
    target: Target | None
    project: Project | None
    blocked: str = ""  # why no sync may start (invalid spec), "" when it may


@dataclass(frozen=True)
class Finish:
    """What a comparison does with an ended operation: write its end ``fields``
    (``operationState``, ``history``) with it, removing ``operation``, or ``hold``: write
    nothing yet (:mod:`kapstan.controller.ending`)."""

    fields: Mapping[str, Any] | None = None
    hold: bool = False


FinishCheck = Callable[[Refreshed], Finish | None]


def _spec_key(spec: Mapping[str, Any]) -> bytes:
    keep = {k: spec.get(k) for k in ("source", "sources", "destination")}
    return orjson.dumps(keep, option=orjson.OPT_SORT_KEYS)


def ignore_rules(settings: Settings, app: Mapping[str, Any]) -> tuple[IgnoreRule, ...]:
    """argocd-cm's system rules followed by the app's ``spec.ignoreDifferences``; raises
    :class:`IgnoreConfigError` for an unusable app rule."""
    return (*settings.ignore_rules, *app_rules(Application.of(app).spec.ignore_differences))


def excluded_filter(settings: Settings, target: Target) -> Callable[[str, str], bool]:
    """Whether the settings' resource filter lets a kind be managed on ``target``."""
    rules = settings.resource_filter
    return lambda group, kind: rules.allows(group, kind, target.server)


def needs_managed_fields(rules: tuple[IgnoreRule, ...]) -> Callable[[ResourceKey], bool] | None:
    """Which live objects need ``managedFields`` for ``rules`` (``None``: none do)."""
    by_manager = [r for r in rules if r.managed_fields_managers]
    if not by_manager:
        return None
    return lambda key: any(r.matches(key) for r in by_manager)


def revision_age(level: Level, fresh: bool, poll_period: float) -> float:
    """How old a shared ``git ls-remote`` may be for a refresh of ``level``."""
    if fresh or level is Level.HARD:
        return 0.0
    if level is Level.POLL:
        return min(POLL_REVISION_TTL, max(REVISION_TTL, poll_period / 12))
    return REVISION_TTL


def _younger(status: Mapping[str, Any], seconds: float) -> bool:
    """Whether ``status.reconciledAt`` is less than ``seconds`` old."""
    stamp = parse_rfc3339(str(status.get("reconciledAt") or ""))
    return stamp is not None and (datetime.now(UTC) - stamp).total_seconds() < seconds


class Reconciler:
    """Per-app refresh (see the module contract)."""

    def __init__(
        self,
        applications: Applications,
        clusters: Clusters,
        generator: ManifestSource,
        settings: Callable[[], Settings],
        project_of: Callable[[str], Mapping[str, Any] | None],
        snapshots: SnapshotStore,
        poll_period: Callable[[], float] = lambda: 0.0,
    ) -> None:
        self.applications = applications
        self.clusters = clusters
        self.generator = generator
        self.settings = settings
        self.project_of = project_of
        self.snapshots = snapshots
        self.poll_period = poll_period
        self.dry_runs = DryRuns()
        self.drift = DriftForensics()
        self.managed_fields = ManagedFields()
        self._manifests: dict[str, tuple[bytes, GeneratedManifests | None, Exception | None]] = {}
        self._memo: dict[str, Memo] = {}

    def forget(self, name: str) -> None:
        self._manifests.pop(name, None)
        self._memo.pop(name, None)
        self.dry_runs.forget(name)
        self.drift.forget(name)

    async def _generate(
        self, app: Mapping[str, Any], level: Level, fresh: bool = False
    ) -> tuple[GeneratedManifests | None, Exception | None]:
        name = str(app["metadata"]["name"])
        spec = app.get("spec") or {}
        key = _spec_key(spec)
        cached = self._manifests.get(name)
        if level is Level.LIVE and cached is not None and cached[0] == key:
            return cached[1], cached[2]
        generated: GeneratedManifests | None = None
        error: Exception | None = None
        try:
            generated = await self.generator.generate(
                app_name=name,
                namespace=str((spec.get("destination") or {}).get("namespace") or ""),
                source=spec.get("source"),
                sources=spec.get("sources"),
                refresh_cache=level is Level.HARD,
                revision_max_age=revision_age(level, fresh, self.poll_period()),
            )
        except ManifestGenerationError as err:
            error = err
        self._manifests[name] = (key, generated, error)
        return generated, error

    def _project(self, app: Mapping[str, Any]) -> tuple[Project | None, str]:
        name = str((app.get("spec") or {}).get("project") or "")
        raw = self.project_of(name)
        if raw is None:
            return None, f"Application referencing project {name} which does not exist"
        return Project.from_spec(name, raw.get("spec")), ""

    async def refresh(
        self,
        app: dict[str, Any],
        level: Level,
        *,
        fresh: bool = False,
        start: Callable[[Refreshed], Mapping[str, Any] | None] | None = None,
        finish: FinishCheck | None = None,
    ) -> Refreshed:
        """Compare, write the refresh-owned status keys and tell whether a sync may start;
        ``fresh`` (an explicit refresh request) asks the remote for the branch head even if
        another app just did. ``start`` sees the comparison before it is written (its
        ``app`` is the one compared) and may return an operation: it is set on the app in
        the same write (the automated sync this comparison starts). ``finish`` sees it too
        and may return the end of an operation to write with it, or tell to write nothing
        yet (:class:`Finish`)."""
        name = str(app["metadata"]["name"])
        spec = app.get("spec") or {}
        settings = self.settings()
        stamp = rfc3339(datetime.now(UTC))
        try:
            target: Target | None = self.clusters.resolve(spec.get("destination") or {})
        except DestinationError as err:
            target = None
            invalid = str(err)
        project, missing = self._project(app)
        if target is None or project is None:
            message = invalid if target is None else missing
            status = {
                "conditions": [condition(ConditionType.INVALID_SPEC_ERROR, message, stamp)],
                "reconciledAt": stamp,
            }
            done = finish(Refreshed(app, status, target, project, message)) if finish else None
            end = done.fields if done is not None else None
            written = await self._write(app, status, level, stamp_age=0.0, end=end)
            return Refreshed(written, status, target, project, blocked=message)
        generated, error = await self._generate(app, level, fresh)
        model = await target.discovery.model()
        lookup = model.namespaced
        dest_ns = str((spec.get("destination") or {}).get("namespace") or "")
        allowed, _ = exclude(
            generated.objects if generated else [], excluded_filter(settings, target)
        )
        desired = [with_namespace(o, dest_ns, lookup) for o in allowed]
        compared = await self._compare(
            app, settings, target, model, generated, error, desired, level
        )
        status, diffs, live = compared.status, compared.diffs, compared.live
        found_violations = violations(
            project,
            {**spec, "destination": {**(spec.get("destination") or {}), "server": target.server}},
            desired,
            namespaced=lambda g, k: bool(lookup(g, k)) if lookup(g, k) is not None else True,
        )
        conditions = list(status.get("conditions") or [])
        conditions.extend(
            condition(ConditionType.COMPARISON_ERROR, f"server-side diff dry run: {e}", stamp)
            for e in compared.dry_run_errors
        )
        conditions.extend(
            condition(ConditionType(c.type), c.message, stamp) for c in found_violations
        )
        qualified = f"{self.applications.namespace}/{name}"
        conditions.extend(
            condition(
                ConditionType.SHARED_RESOURCE_WARNING,
                f"{key.kind}/{key.name} is part of applications {other} and {qualified}",
                stamp,
            )
            for key, other in sorted(shared_with_others(target.cache, desired, name).items())
        )
        blocked = "; ".join(c.message for c in found_violations)
        orphaned = orphans_of(project, self.project_of(project.name) or {}, target, dest_ns)
        if orphaned:
            conditions.append(
                condition(
                    ConditionType.ORPHANED_RESOURCE_WARNING, orphan_warning(len(orphaned)), stamp
                )
            )
        await self.drift.annotate(name, target, model, status, diffs, live)
        if conditions:
            status["conditions"] = conditions
        status["observedAt"] = stamp
        await self.snapshots.put(
            comparison_snapshot(
                self.applications.namespace, app, target, status, desired, live, diffs,
                compared.settings,
            )
        )  # fmt: skip
        compared_view = Refreshed(app, status, target, project, blocked)
        operation = start(compared_view) if start else None
        done = finish(compared_view) if finish else None
        if done is not None and done.hold:
            return compared_view
        # A poll may leave the timestamps alone (controller.reconciledat.interval).
        age = settings.reconciled_at_interval if level is Level.POLL and not fresh else 0.0
        end = done.fields if done is not None else None
        written = await self._write(app, status, level, operation, stamp_age=age, end=end)
        return Refreshed(written, status, target, project, blocked=blocked)

    async def _compare(
        self,
        app: Mapping[str, Any],
        settings: Settings,
        target: Target,
        model: DiscoveryModel,
        generated: GeneratedManifests | None,
        error: Exception | None,
        desired: list[dict[str, Any]],
        level: Level,
    ) -> Compared:
        """Live state, ignore rules (and the managedFields they need), dry runs, status.

        The status is computed again only when one of its inputs changed since this app's
        last comparison: the app's spec and annotations, the revisions compared, the render
        error, a live object's resourceVersion, the settings, the discovery model or the
        rendered manifests (:mod:`kapstan.controller.compared`). A hard
        refresh, server-side diff (its dry runs see the API server's state) and rules that
        read managedFields always compute; so does everything after a restart."""
        name = str(app["metadata"]["name"])
        dest_ns = str(((app.get("spec") or {}).get("destination") or {}).get("namespace") or "")
        tracking = settings.tracking
        live = await from_cache(target.cache, target.kube, model, name, tracking)
        if live is None:
            desired_now = generated.objects if generated else []
            live = await from_api(target.kube, model, app, desired_now, tracking)
        rules: tuple[IgnoreRule, ...] = ()
        problem: str | Exception | None = error
        try:
            rules = ignore_rules(settings, app)
        except IgnoreConfigError as err:
            problem = problem or f"invalid spec.ignoreDifferences: {err}"
        wanted = needs_managed_fields(rules)
        if wanted is not None:
            live = await self.managed_fields.complete(target.kube, model, live, wanted)
        compare = CompareSettings(
            tracking=tracking,
            health=settings.health,
            ignore_rules=rules,
            include_webhook=include_mutation_webhook(app),
            status_field=settings.compare_options.ignore_resource_status_field,
        )
        found = DryRunResults()
        mode = choose_mode(
            app, dry_run_available=True, server_side_default=settings.server_side_diff
        )
        memo_key: bytes | None = None
        if mode is DiffMode.SERVER_SIDE and problem is None:
            found = await self._dry_runs(name, target, desired, live, dest_ns, compare)
        elif wanted is None and level is not Level.HARD:
            memo_key = inputs_key(app, generated, problem, live)
            inputs = (settings, model, *(generated.manifests if generated else ()))
            memo = self._memo.get(name)
            if memo is not None and memo.same_inputs(memo_key, inputs):
                return memo.again(live, compare)
        diffs: dict[ResourceKey, ResourceDiff] = {}
        status = compute_status(
            app,
            generated if problem is None else None,
            problem,
            live,
            now=datetime.now(UTC),
            is_namespaced=model.namespaced,
            settings=compare,
            dry_runs=found.results,
            diffs_out=diffs,
            allows=excluded_filter(settings, target),
        )
        compared = Compared(status, diffs, live, compare, found.errors)
        if memo_key is not None:
            self._memo[name] = Memo(memo_key, inputs, compared, orjson.dumps(status))
        else:
            self._memo.pop(name, None)
        return compared

    async def _dry_runs(
        self,
        name: str,
        target: Target,
        desired: list[dict[str, Any]],
        live: list[dict[str, Any]],
        dest_ns: str,
        compare: CompareSettings,
    ) -> DryRunResults:
        model = await target.discovery.model()
        pairing = pair_resources(
            [o for o in desired if not is_skip(o)],
            live,
            destination_namespace=dest_ns,
            is_namespaced=model.namespaced,
        )
        requests = [
            DryRunRequest(p.key, compare.tracking.stamp(name, p.desired), p.live)
            for p in pairing.pairs
            if p.desired is not None and p.live is not None and not is_hook(p.desired)
        ]
        return await self.dry_runs.results(name, Writer(target.kube, target.discovery), requests)

    def window_allows(self, refreshed: Refreshed, *, manual: bool) -> tuple[bool, str]:
        """Sync windows of the app's project at the present time."""
        if refreshed.project is None or refreshed.target is None:
            return False, refreshed.blocked
        spec = refreshed.app.get("spec") or {}
        return sync_allowed(
            refreshed.project,
            str(refreshed.app["metadata"]["name"]),
            str((spec.get("destination") or {}).get("namespace") or ""),
            refreshed.target.server,
            datetime.now(UTC),
            manual=manual,
            cluster_name=refreshed.target.name,
        )

    async def _write(
        self,
        app: dict[str, Any],
        status: dict[str, Any],
        level: Level,
        operation: Mapping[str, Any] | None = None,
        *,
        stamp_age: float,
        end: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Write what changed (plus the timestamps), or nothing: on a ``LIVE`` refresh when
        only the timestamps would move, and when they are younger than ``stamp_age`` seconds.
        ``operation`` is set in the same write; ``end`` (an operation's end fields) is
        written with it, removing ``operation``. A failed write returns ``app`` itself."""
        old = app.get("status") or {}
        if "conditions" in status:
            status["conditions"] = keep_transition_times(
                status["conditions"], old.get("conditions") or []
            )
        fields: dict[str, Any] = {k: status.get(k) for k in REFRESH_KEYS}
        changed = any(fields[k] != old.get(k) for k in REFRESH_KEYS if k not in _STAMPS)
        if operation is None and end is None and not changed:
            if level is Level.LIVE or (stamp_age > 0 and _younger(old, stamp_age)):
                return app
            fields = {k: fields[k] for k in _STAMPS}  # only the timestamps move
        change: OperationChange = KEEP if operation is None else dict(operation)
        if end is not None:
            fields.update(end)
            change = None
        try:
            return await self.applications.write_status(app, fields, change)
        except KubeError as err:
            log.warning("application %s: writing status failed: %s", app["metadata"]["name"], err)
            return app


__all__ = [
    "REFRESH_KEYS",
    "Finish",
    "FinishCheck",
    "Reconciler",
    "Refreshed",
    "excluded_filter",
    "ignore_rules",
    "needs_managed_fields",
    "revision_age",
]
