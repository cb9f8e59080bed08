"""Controller settings read from Argo CD's ``argocd-cm`` ConfigMap and Secrets.

Contract of :meth:`Settings.from_configmap` (the ConfigMap's ``data`` dict; absent keys take
the defaults below):

- ``timeout.reconciliation`` (default ``120s``) and ``timeout.reconciliation.jitter``
  (default ``60s``; Argo CD's defaults: a poll every 2 to 3 minutes): a Go duration
  (``3m``, ``1m30s``) or plain seconds; negative is invalid;
  ``0`` disables periodic refresh, as in Argo CD;
- ``application.resourceTrackingMethod``: ``annotation`` (default), ``annotation+label`` or
  ``label``; ``application.instanceLabelKey`` (default ``app.kubernetes.io/instance``);
- ``resource.exclusions`` / ``resource.inclusions``: YAML lists of
  ``{apiGroups, kinds, clusters}``, added to Kapstan's default exclusions
  (:class:`kapstan.cache.filters.ResourceFilter`);
- health customizations via :meth:`HealthConfig.from_argocd_cm`, system ignore rules via
  :func:`kapstan.engine.ignore.system_rules` (both read the raw data);
- ``resource.compareoptions``: YAML with ``ignoreAggregatedRoles`` (false; when true the
  ``rules`` of aggregated ClusterRoles are ignored, :data:`AGGREGATED_ROLES_RULE`) and
  ``ignoreResourceStatusField`` (``all``|``crd``|``none``, default ``all``; see
  :func:`kapstan.engine.normalize.drops_status`); Argo CD's
  ``ignoreDifferencesOnResourceUpdates`` has no effect (Kapstan has no resource-update
  filtering yet) and is not read;

- ``controller.diff.server.side`` (argocd-cmd-params-cm, read by :meth:`Settings.with_params`,
  default false): compare with server-side diff unless an Application's
  ``compare-options`` annotation says ``ServerSideDiff=false``;
- ``controller.sync.server.side.dry.run`` (argocd-cmd-params-cm, Kapstan's own, default
  false): how a sync checks its objects before writing any. Off, as Argo CD's gitops-engine
  does, locally: each object's kind is served and it is named (no request per object). On,
  each object goes through a server-side dry run first (one more request per object), so an
  object the API server or an admission webhook rejects fails the sync before anything is
  written. A sync asked for as a dry run is always checked by the API server.
- ``controller.reconciledat.interval`` (argocd-cmd-params-cm, Kapstan's own, a duration,
  default ``0``): ``0`` writes ``status.reconciledAt`` on every Git poll, as Argo CD's
  controller does, even when the poll changed nothing. A duration (``1h``) lets a poll that
  changed nothing skip that write while the app's ``reconciledAt`` is younger than it: with
  thousands of apps, most of an idle controller's CPU and every one of its API writes (each
  a new object version in etcd, and a watch event to every client) are these timestamps.
  ``reconciledAt`` then says when the app was last found changed, refreshed on request, or
  confirmed at least that often.

Any invalid value raises :class:`SettingsError` naming the key (never a secret), so a caller
watching the ConfigMap (:mod:`kapstan.services.watched`) keeps its previous settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import yaml

from kapstan.cache.filters import ResourceFilter
from kapstan.engine.health.config import HealthConfig, HealthConfigError
from kapstan.engine.ignore import IgnoreConfigError, IgnoreRule, system_rules
from kapstan.engine.normalize import STATUS_ALL, STATUS_CRD, STATUS_NONE
from kapstan.engine.sync.retry import DurationError, parse_duration
from kapstan.engine.tracking import Tracking
from kapstan.model.application import TrackingMethod
from kapstan.model.vocabulary import DEFAULT_INSTANCE_LABEL

TIMEOUT_KEY = "timeout.reconciliation"
JITTER_KEY = "timeout.reconciliation.jitter"
TRACKING_KEY = "application.resourceTrackingMethod"
INSTANCE_LABEL_KEY = "application.instanceLabelKey"
EXCLUSIONS_KEY = "resource.exclusions"
INCLUSIONS_KEY = "resource.inclusions"
COMPARE_OPTIONS_KEY = "resource.compareoptions"

SERVER_SIDE_DIFF_KEY = "controller.diff.server.side"
SERVER_DRY_RUN_KEY = "controller.sync.server.side.dry.run"
RECONCILED_AT_KEY = "controller.reconciledat.interval"

DEFAULT_RECONCILIATION = 120.0
DEFAULT_JITTER = 60.0
STATUS_FIELD_MODES = (STATUS_ALL, STATUS_CRD, STATUS_NONE)
# ignoreAggregatedRoles: the rules the aggregation controller writes into an aggregated
# ClusterRole are not the app's to compare (they differ from Git by design).
AGGREGATED_ROLES_RULE = IgnoreRule(
    group="rbac.authorization.k8s.io",
    kind="ClusterRole",
    jq_path_expressions=("select(.aggregationRule != null) | .rules",),
)


class SettingsError(ValueError):
    """An ``argocd-cm`` value Kapstan cannot use."""


@dataclass(frozen=True)
class ResourceCompareOptions:
    """``resource.compareoptions``."""

    ignore_aggregated_roles: bool = False
    ignore_resource_status_field: str = STATUS_ALL


def _duration(data: Mapping[str, str], key: str, default: float) -> float:
    raw = data.get(key)
    if raw is None or not str(raw).strip():
        return default
    try:
        seconds = parse_duration(str(raw))
    except DurationError:
        raise SettingsError(f"{key}: invalid duration {raw!r}") from None
    if seconds < 0:
        raise SettingsError(f"{key}: must not be negative")
    return seconds


def _yaml(data: Mapping[str, str], key: str) -> Any:
    raw = data.get(key)
    if raw is None:
        return None
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError:
        raise SettingsError(f"{key}: invalid YAML") from None


def _rules(data: Mapping[str, str], key: str) -> list[Mapping[str, Any]]:
    value = _yaml(data, key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(r, Mapping) for r in value):
        raise SettingsError(f"{key}: expected a YAML list of {{apiGroups, kinds, clusters}}")
    for rule in value:
        for field_name in ("apiGroups", "kinds", "clusters"):
            if rule.get(field_name) is not None and not isinstance(rule[field_name], list):
                raise SettingsError(f"{key}: {field_name} must be a list")
    return value


def _bool(value: Any, key: str, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise SettingsError(f"{key}: expected true or false")


def _compare_options(data: Mapping[str, str]) -> ResourceCompareOptions:
    value = _yaml(data, COMPARE_OPTIONS_KEY)
    if value is None:
        return ResourceCompareOptions()
    if not isinstance(value, Mapping):
        raise SettingsError(f"{COMPARE_OPTIONS_KEY}: expected a YAML mapping")
    status_field = str(value.get("ignoreResourceStatusField") or STATUS_ALL).lower()
    if status_field not in STATUS_FIELD_MODES:
        raise SettingsError(
            f"{COMPARE_OPTIONS_KEY}: ignoreResourceStatusField must be one of "
            + ", ".join(STATUS_FIELD_MODES)
        )
    return ResourceCompareOptions(
        ignore_aggregated_roles=_bool(
            value.get("ignoreAggregatedRoles"), COMPARE_OPTIONS_KEY, False
        ),
        ignore_resource_status_field=status_field,
    )


@dataclass(frozen=True)
class Settings:
    """What the controller reads from ``argocd-cm`` (see the module contract)."""

    reconciliation_timeout: float = DEFAULT_RECONCILIATION
    reconciliation_jitter: float = DEFAULT_JITTER
    tracking_method: TrackingMethod = TrackingMethod.ANNOTATION
    instance_label_key: str = DEFAULT_INSTANCE_LABEL
    resource_filter: ResourceFilter = field(default_factory=ResourceFilter)
    health: HealthConfig = field(default_factory=HealthConfig)
    ignore_rules: tuple[IgnoreRule, ...] = ()
    compare_options: ResourceCompareOptions = field(default_factory=ResourceCompareOptions)
    server_side_diff: bool = False
    server_dry_run: bool = False
    reconciled_at_interval: float = 0.0  # seconds; 0: every poll writes reconciledAt

    @property
    def tracking(self) -> Tracking:
        """The tracking method as the engine applies it."""
        return Tracking(self.tracking_method, self.instance_label_key)

    def with_params(self, params: Mapping[str, str] | None) -> Settings:
        """These settings plus the controller's argocd-cmd-params-cm entries."""
        params = params or {}
        return replace(
            self,
            server_side_diff=_bool(params.get(SERVER_SIDE_DIFF_KEY), SERVER_SIDE_DIFF_KEY, False),
            server_dry_run=_bool(params.get(SERVER_DRY_RUN_KEY), SERVER_DRY_RUN_KEY, False),
            reconciled_at_interval=_duration(params, RECONCILED_AT_KEY, 0.0),
        )

    @classmethod
    def from_configmap(cls, data: Mapping[str, str] | None) -> Settings:
        """Parse ``argocd-cm`` ``data``; raises :class:`SettingsError` on an invalid value."""
        data = dict(data or {})
        raw_tracking = (data.get(TRACKING_KEY) or "").strip() or TrackingMethod.ANNOTATION.value
        try:
            tracking = TrackingMethod(raw_tracking)
        except ValueError:
            methods = ", ".join(m.value for m in TrackingMethod)
            raise SettingsError(f"{TRACKING_KEY}: must be one of {methods}") from None
        label_key = (data.get(INSTANCE_LABEL_KEY) or "").strip() or DEFAULT_INSTANCE_LABEL
        try:
            health = HealthConfig.from_argocd_cm(data)
        except HealthConfigError as exc:
            raise SettingsError(f"health customizations: {exc}") from None
        try:
            ignore = system_rules(data)
        except IgnoreConfigError as exc:
            raise SettingsError(f"ignoreDifferences customizations: {exc}") from None
        compare = _compare_options(data)
        if compare.ignore_aggregated_roles:
            ignore = (*ignore, AGGREGATED_ROLES_RULE)
        return cls(
            reconciliation_timeout=_duration(data, TIMEOUT_KEY, DEFAULT_RECONCILIATION),
            reconciliation_jitter=_duration(data, JITTER_KEY, DEFAULT_JITTER),
            tracking_method=tracking,
            instance_label_key=label_key,
            resource_filter=ResourceFilter.parse(
                _rules(data, EXCLUSIONS_KEY), _rules(data, INCLUSIONS_KEY)
            ),
            health=health,
            ignore_rules=ignore,
            compare_options=compare,
        )


__all__ = [
    "ResourceCompareOptions",
    "Settings",
    "SettingsError",
]
