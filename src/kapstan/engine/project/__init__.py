"""AppProject enforcement, pure: sources, destinations, resource kinds and sync windows.

Mirrors Argo CD's ``AppProject`` checks (``IsSourcePermitted``,
``IsDestinationPermitted``, ``IsGroupKindPermitted``, ``SyncWindows.CanSync``). Nothing
here reads the clock: callers pass ``now``.
"""

from __future__ import annotations

from kapstan.engine.project._glob import glob_match, normalize_git_url
from kapstan.engine.project.model import (
    DEFAULT_PROJECT,
    INVALID_SPEC_ERROR,
    Condition,
    Destination,
    GroupKind,
    Project,
    SyncWindow,
)
from kapstan.engine.project.permits import (
    destination_permitted,
    group_kind_permitted,
    resource_permitted,
    source_permitted,
)
from kapstan.engine.project.violations import CLUSTER_SCOPED_KINDS, NamespacedFn, violations
from kapstan.engine.project.windows import (
    SyncWindowError,
    active_windows,
    matching_windows,
    parse_duration,
    sync_allowed,
    window_active,
)

__all__ = [
    "CLUSTER_SCOPED_KINDS",
    "DEFAULT_PROJECT",
    "INVALID_SPEC_ERROR",
    "Condition",
    "Destination",
    "GroupKind",
    "NamespacedFn",
    "Project",
    "SyncWindow",
    "SyncWindowError",
    "active_windows",
    "destination_permitted",
    "glob_match",
    "group_kind_permitted",
    "matching_windows",
    "normalize_git_url",
    "parse_duration",
    "resource_permitted",
    "source_permitted",
    "sync_allowed",
    "violations",
    "window_active",
]
