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
- ``resource.compareoptions``: YAML with ``ignoreAggregatedRoles`` (false),
  ``ignoreResourceStatusField`` (``all``|``crd``|``none``, default ``all``) and
  ``ignoreDifferencesOnResourceUpdates`` (true).

Any invalid value raises :class:`SettingsError` naming the key (never a secret), so a caller
watching the ConfigMap can keep its previous settings.

:func:`read_repositories` and :func:`read_clusters` read lists of Secret dicts: each Secret is
parsed on its own; a bad one is reported in ``errors`` (name and reason) and the rest still
load. Secrets without the matching ``argocd.argoproj.io/secret-type`` label are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from kapstan.cache.filters import ResourceFilter
from kapstan.engine.health.config import HealthConfig, HealthConfigError
from kapstan.engine.ignore import IgnoreConfigError, IgnoreRule, system_rules
from kapstan.engine.sync.retry import DurationError, parse_duration
from kapstan.kube.config import ClusterConfig, ConfigError, from_argocd_cluster_secret
from kapstan.source.credentials import (
    REPO_CREDS,
    REPOSITORY,
    SECRET_TYPE_LABEL,
    InvalidSecret,
    RepoCredentials,
    RepoSecret,
    credentials_for,
    parse_secret,
)

TIMEOUT_KEY = "timeout.reconciliation"
JITTER_KEY = "timeout.reconciliation.jitter"
TRACKING_KEY = "application.resourceTrackingMethod"
INSTANCE_LABEL_KEY = "application.instanceLabelKey"
EXCLUSIONS_KEY = "resource.exclusions"
INCLUSIONS_KEY = "resource.inclusions"
COMPARE_OPTIONS_KEY = "resource.compareoptions"

DEFAULT_RECONCILIATION = 120.0
DEFAULT_JITTER = 60.0
DEFAULT_INSTANCE_LABEL = "app.kubernetes.io/instance"
TRACKING_METHODS = ("annotation", "annotation+label", "label")
STATUS_FIELD_MODES = ("all", "crd", "none")
CLUSTER = "cluster"


class SettingsError(ValueError):
    """An ``argocd-cm`` value Kapstan cannot use."""


@dataclass(frozen=True)
class CompareOptions:
    """``resource.compareoptions``."""

    ignore_aggregated_roles: bool = False
    ignore_resource_status_field: str = "all"
    ignore_differences_on_resource_updates: bool = True


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


def _compare_options(data: Mapping[str, str]) -> CompareOptions:
    value = _yaml(data, COMPARE_OPTIONS_KEY)
    if value is None:
        return CompareOptions()
    if not isinstance(value, Mapping):
        raise SettingsError(f"{COMPARE_OPTIONS_KEY}: expected a YAML mapping")
    status_field = str(value.get("ignoreResourceStatusField") or "all").lower()
    if status_field not in STATUS_FIELD_MODES:
        raise SettingsError(
            f"{COMPARE_OPTIONS_KEY}: ignoreResourceStatusField must be one of "
            + ", ".join(STATUS_FIELD_MODES)
        )
    return CompareOptions(
        ignore_aggregated_roles=_bool(
            value.get("ignoreAggregatedRoles"), COMPARE_OPTIONS_KEY, False
        ),
        ignore_resource_status_field=status_field,
        ignore_differences_on_resource_updates=_bool(
            value.get("ignoreDifferencesOnResourceUpdates"), COMPARE_OPTIONS_KEY, True
        ),
    )


@dataclass(frozen=True)
class Settings:
    """What the controller reads from ``argocd-cm`` (see the module contract)."""

    reconciliation_timeout: float = DEFAULT_RECONCILIATION
    reconciliation_jitter: float = DEFAULT_JITTER
    tracking_method: str = "annotation"
    instance_label_key: str = DEFAULT_INSTANCE_LABEL
    resource_filter: ResourceFilter = field(default_factory=ResourceFilter)
    health: HealthConfig = field(default_factory=HealthConfig)
    ignore_rules: tuple[IgnoreRule, ...] = ()
    compare_options: CompareOptions = field(default_factory=CompareOptions)

    @property
    def label_tracking(self) -> bool:
        """True when the instance label is written (``label`` or ``annotation+label``)."""
        return self.tracking_method != "annotation"

    @property
    def annotation_tracking(self) -> bool:
        """True when the tracking-id annotation identifies resources."""
        return self.tracking_method != "label"

    @classmethod
    def from_configmap(cls, data: Mapping[str, str] | None) -> Settings:
        """Parse ``argocd-cm`` ``data``; raises :class:`SettingsError` on an invalid value."""
        data = dict(data or {})
        tracking = (data.get(TRACKING_KEY) or "").strip() or "annotation"
        if tracking not in TRACKING_METHODS:
            raise SettingsError(f"{TRACKING_KEY}: must be one of {', '.join(TRACKING_METHODS)}")
        label_key = (data.get(INSTANCE_LABEL_KEY) or "").strip() or DEFAULT_INSTANCE_LABEL
        try:
            health = HealthConfig.from_argocd_cm(data)
        except HealthConfigError as exc:
            raise SettingsError(f"health customizations: {exc}") from None
        try:
            ignore = system_rules(data)
        except IgnoreConfigError as exc:
            raise SettingsError(f"ignoreDifferences customizations: {exc}") from None
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
            compare_options=_compare_options(data),
        )


def _name(secret: Mapping[str, Any]) -> str:
    meta = secret.get("metadata") or {}
    return str(meta.get("name") or "<unnamed>")


def _secret_type(secret: Mapping[str, Any]) -> str:
    meta = secret.get("metadata") or {}
    return str((meta.get("labels") or {}).get(SECRET_TYPE_LABEL) or "")


@dataclass(frozen=True)
class Repositories:
    """Parsed ``repository`` and ``repo-creds`` Secrets."""

    repositories: tuple[RepoSecret, ...] = ()
    templates: tuple[RepoSecret, ...] = ()
    errors: tuple[tuple[str, str], ...] = ()  # (secret name, reason)
    known_hosts: str | None = None

    def credentials(self, repo_url: str) -> RepoCredentials:
        """Credentials for ``repo_url`` (Argo CD's repository-then-template lookup)."""
        return credentials_for(
            repo_url, self.repositories, self.templates, known_hosts=self.known_hosts
        )


def read_repositories(
    secrets: Iterable[Mapping[str, Any]], *, known_hosts: str | None = None
) -> Repositories:
    """Parse the repository/repo-creds Secrets among ``secrets`` (sorted by name)."""
    repos: list[RepoSecret] = []
    templates: list[RepoSecret] = []
    errors: list[tuple[str, str]] = []
    for secret in sorted(secrets, key=_name):
        if _secret_type(secret) not in (REPOSITORY, REPO_CREDS):
            continue
        try:
            parsed = parse_secret(secret, known_hosts=known_hosts)
        except InvalidSecret as exc:
            errors.append((_name(secret), str(exc)))
            continue
        (repos if parsed.kind == REPOSITORY else templates).append(parsed)
    return Repositories(tuple(repos), tuple(templates), tuple(errors), known_hosts)


@dataclass(frozen=True)
class Clusters:
    """Parsed ``cluster`` Secrets, keyed by server URL (a later duplicate is an error)."""

    by_server: Mapping[str, ClusterConfig] = field(default_factory=dict)
    errors: tuple[tuple[str, str], ...] = ()

    def by_name(self, name: str) -> ClusterConfig | None:
        """The cluster whose Argo CD ``name`` is ``name``."""
        return next((c for c in self.by_server.values() if c.name == name), None)


def read_clusters(secrets: Iterable[Mapping[str, Any]]) -> Clusters:
    """Parse the cluster Secrets among ``secrets`` (sorted by name)."""
    out: dict[str, ClusterConfig] = {}
    errors: list[tuple[str, str]] = []
    for secret in sorted(secrets, key=_name):
        if _secret_type(secret) != CLUSTER:
            continue
        try:
            cfg = from_argocd_cluster_secret(secret)
        except ConfigError as exc:
            errors.append((_name(secret), str(exc)))
            continue
        if cfg.server in out:
            errors.append((_name(secret), f"duplicate cluster server {cfg.server}"))
            continue
        out[cfg.server] = cfg
    return Clusters(out, tuple(errors))


__all__ = [
    "Clusters",
    "CompareOptions",
    "Repositories",
    "Settings",
    "SettingsError",
    "read_clusters",
    "read_repositories",
]
