"""gitops-engine's "Pending deletion" check, with the hook-finalizer exception.

``GetResourceHealth`` reports ``Progressing``/"Pending deletion" for an object whose
``metadata.deletionTimestamp`` is set, unless its finalizers include Argo CD's hook
finalizer (``hook.HasHookFinalizer``): a hook being deleted while the sync still waits
on it must keep its real health, or the sync could never see it finish.

Both fields are read the way ``unstructured.Unstructured`` reads them: the timestamp
counts only when it parses as RFC 3339 and is not Go's zero time, and finalizers count
only when they are a list of strings.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

from kapstan.engine.health._fields import Obj, mapping
from kapstan.model.vocabulary import HOOK_FINALIZER

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|([+-])(\d{2}):(\d{2}))\Z"
)
_ZERO = datetime(1, 1, 1, tzinfo=UTC)


def _timestamp_set(value: object) -> bool:
    if isinstance(value, date):
        return True  # only a YAML loader produces these; they are real instants
    if not isinstance(value, str):
        return False
    match = _RFC3339.match(value)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    sign, off_h, off_m = match.group(7), match.group(8), match.group(9)
    try:
        offset = timedelta(0)
        if sign is not None:
            if int(off_h) > 23 or int(off_m) > 59:
                return False
            offset = timedelta(hours=int(off_h), minutes=int(off_m)) * (1 if sign == "+" else -1)
        moment = datetime(year, month, day, hour, minute, second, tzinfo=timezone(offset))
    except ValueError:
        return False  # month 13, 25 o'clock ...: Go's parser rejects these too
    try:
        return moment.astimezone(UTC) != _ZERO
    except OverflowError:
        return True  # before year 1 in UTC: a real (if odd) instant, not the zero time


def _finalizers(metadata: Obj) -> list[str]:
    value = metadata.get("finalizers")
    if isinstance(value, list) and all(isinstance(f, str) for f in value):
        return value
    return []


def pending_deletion(obj: Obj) -> bool:
    """Whether gitops-engine reports the object as "Pending deletion"."""
    metadata = mapping(obj, "metadata")
    if not _timestamp_set(metadata.get("deletionTimestamp")):
        return False
    return HOOK_FINALIZER not in _finalizers(metadata)
