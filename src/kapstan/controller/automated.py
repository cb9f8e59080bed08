"""Automated sync: whether a fresh comparison starts a sync, and the bookkeeping around it.

Contract of :class:`AutoSync` (one per controller):

- :meth:`consider` runs :func:`kapstan.engine.sync.autosync.decide` on a comparison that is
  about to be written, for an app with no operation set or running, and returns the
  decision with the operation to start now; it is ``None`` when the decision is to wait,
  to refuse or to do nothing, and when a sync window or a project violation blocks the
  sync (logged once per reason, not on every refresh);
- the controller writes that operation in the same status write as the comparison, as
  Argo CD's auto-sync sets the Application's ``operation``: from then on it runs like a
  requested sync, and a new app costs one write for "OutOfSync, syncing" instead of two;
- self-heal attempts are counted per app from the syncs it starts; :meth:`synced` resets
  the count (the app was seen Synced), :meth:`forget` drops an app.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kapstan.controller.reconciler import Refreshed
from kapstan.engine.sync.autosync import Decision, decide

log = logging.getLogger(__name__)
WindowCheck = Callable[[Refreshed], tuple[bool, str]]


@dataclass(frozen=True)
class Considered:
    """What :meth:`AutoSync.consider` found: the decision and the operation to start now."""

    decision: Decision
    start: Mapping[str, Any] | None = None


class AutoSync:
    """Automated sync decisions of one controller (see the module contract)."""

    def __init__(self, window_allows: WindowCheck) -> None:
        self._window_allows = window_allows
        self._self_heal: dict[str, int] = {}
        self._blocked_logged: dict[str, str] = {}

    def consider(self, refreshed: Refreshed) -> Considered:
        app = refreshed.app
        name = str(app["metadata"]["name"])
        attempts = self._self_heal.get(name, 0)
        decision = decide(app, refreshed.status, now=datetime.now(UTC), self_heal_attempts=attempts)
        if decision.refusal or decision.wait or decision.operation is None:
            return Considered(decision)
        allowed, why = self._window_allows(refreshed)
        if refreshed.blocked or not allowed:
            reason = refreshed.blocked or why
            if self._blocked_logged.get(name) != reason:
                self._blocked_logged[name] = reason
                log.info("application %s: automated sync blocked: %s", name, reason)
            return Considered(decision)
        self._blocked_logged.pop(name, None)
        if decision.self_heal:
            self._self_heal[name] = attempts + 1
        log.info("application %s: automated sync to %s", name, decision.operation["sync"])
        return Considered(decision, decision.operation)

    def synced(self, name: str) -> None:
        self._self_heal.pop(name, None)

    def forget(self, name: str) -> None:
        self._self_heal.pop(name, None)
        self._blocked_logged.pop(name, None)


__all__ = ["AutoSync", "Considered"]
