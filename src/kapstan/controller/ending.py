"""The end of an operation, written together with the comparison that follows it.

Contract of :class:`Endings` (one per controller):

- :meth:`ended` keeps the end of an app's finished operation (its ``operationState`` and
  ``history`` fields) until the next comparison of the app writes it, in the same write that
  removes ``operation`` (:meth:`finish`): a sync's end and the Synced and health it leads to
  cost one write instead of two;
- an automated sync that succeeded, whose comparison still reads health ``Progressing`` or
  ``OutOfSync``, is held for at most :data:`END_HOLD` seconds: nothing is written and the
  app is compared again when one of its resources changes or when the hold is over. A
  Deployment turns Healthy once kube-controller-manager has observed it, and an object the
  sync just created is missing (OutOfSync) until the watch brings it, which on a loaded API
  server trails the write's answer; both usually settle well within the hold. Any other end
  (a sync someone asked for, failed, terminated, dry run) and any other comparison is
  written by the first comparison;
- while an end waits, the app counts as operating (:meth:`pending`): no other operation
  starts and the comparisons start no automated sync;
- :meth:`written` drops an end once a write carried it; :meth:`forget` drops it for an app
  that is gone. A controller that stops with an end unwritten leaves the app as the
  operation last wrote it (``operation`` still set), so the next controller runs it again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kapstan.controller.reconciler import Finish, Refreshed
from kapstan.model.application import AppStatus
from kapstan.model.health import HealthStatus
from kapstan.model.status import SyncStatusCode
from kapstan.model.sync import OperationPhase

END_HOLD = 2.0  # seconds a succeeded sync's end may wait for its comparison to settle


@dataclass(frozen=True)
class _End:
    fields: Mapping[str, Any]
    until: float  # monotonic: the end is written by then whatever the health
    hold: bool  # a succeeded sync: worth waiting for its health


def _holds(fields: Mapping[str, Any]) -> bool:
    """Only an automated sync's end waits: someone who asked for a sync sees it end at once."""
    state = fields.get("operationState") or {}
    operation = state.get("operation") or {}
    automated = bool((operation.get("initiatedBy") or {}).get("automated"))
    succeeded = state.get("phase") == OperationPhase.SUCCEEDED.value
    return automated and succeeded and not (operation.get("sync") or {}).get("dryRun")


class Endings:
    """Operation ends waiting for their comparison (see the module contract)."""

    def __init__(
        self, recheck: Callable[[str, float], None], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._recheck = recheck  # (app, seconds): compare the app again after that delay
        self._clock = clock
        self._ends: dict[str, _End] = {}

    def ended(self, name: str, fields: Mapping[str, Any]) -> None:
        self._ends[name] = _End(dict(fields), self._clock() + END_HOLD, _holds(fields))

    def pending(self, name: str) -> bool:
        return name in self._ends

    def fields(self, name: str) -> Mapping[str, Any] | None:
        end = self._ends.get(name)
        return end.fields if end is not None else None

    def finish(self, refreshed: Refreshed) -> Finish | None:
        """What the comparison ``refreshed`` does with the app's waiting end, if any."""
        name = str(refreshed.app["metadata"]["name"])
        end = self._ends.get(name)
        if end is None:
            return None
        left = end.until - self._clock()
        status = AppStatus(refreshed.status)
        unsettled = (
            status.health_status is HealthStatus.PROGRESSING
            or status.sync_status is SyncStatusCode.OUT_OF_SYNC
        )
        if end.hold and left > 0 and unsettled:
            self._recheck(name, left)
            return Finish(hold=True)
        return Finish(fields=end.fields)

    def written(self, name: str, fields: Mapping[str, Any]) -> None:
        """A write carried ``fields``: drop them (not a newer end of the same app)."""
        end = self._ends.get(name)
        if end is not None and end.fields is fields:
            del self._ends[name]

    def forget(self, name: str) -> None:
        self._ends.pop(name, None)


__all__ = ["END_HOLD", "Endings"]
