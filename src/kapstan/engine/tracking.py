"""Resource tracking: which Application an object belongs to, and how an applied object says so.

One implementation of Argo CD's three methods (argocd-cm ``application.resourceTrackingMethod``):

- ``annotation`` (default): ``argocd.argoproj.io/tracking-id: <app>:<group>/<kind>:<ns>/<name>``
  names the app only when its group, kind, namespace and name are the object's own — a copied
  annotation (a Secret copied by a tool, say) must not make the copy look managed;
- ``annotation+label``: tracked by the annotation as above; the instance label (default
  ``app.kubernetes.io/instance``) is also written, for information only, truncated to 63
  characters (trailing ``-._`` trimmed) as Argo CD does;
- ``label``: the instance label's value is the app name.

Like Argo CD (gitops-engine ``GetManagedLiveObjs``), an object with ``ownerReferences`` is never a
managed top-level object, whatever it carries: a Pod whose template copied the instance label
belongs to its ReplicaSet, not to the app.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kapstan.model.application import TrackingMethod
from kapstan.model.keys import ResourceKey, group_of
from kapstan.model.vocabulary import DEFAULT_INSTANCE_LABEL, TRACKING_ID

LABEL_MAX_LENGTH = 63


@dataclass(frozen=True)
class TrackingId:
    """A parsed tracking-id annotation."""

    app: str
    group: str
    kind: str
    namespace: str
    name: str


def parse_tracking_id(value: str) -> TrackingId | None:
    """Parse ``<app>:<group>/<kind>:<namespace>/<name>``; ``None`` when malformed."""
    parts = value.split(":")
    if len(parts) != 3 or not parts[0]:
        return None
    app, gk, nsname = parts
    group, sep1, kind = gk.partition("/")
    namespace, sep2, name = nsname.partition("/")
    if not (sep1 and sep2 and kind and name):
        return None
    return TrackingId(app, group, kind, namespace, name)


def tracking_id(app: str, obj: Mapping[str, Any]) -> str:
    """The annotation value naming ``app`` for ``obj``."""
    key = ResourceKey.from_obj(obj)
    return f"{app}:{key.group}/{key.kind}:{key.namespace}/{key.name}"


def label_value(app: str) -> str:
    """The instance label's value for ``app`` in ``annotation+label`` mode."""
    if len(app) <= LABEL_MAX_LENGTH:
        return app
    return app[:LABEL_MAX_LENGTH].rstrip("-._")


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


@dataclass(frozen=True)
class Tracking:
    """The configured tracking method (see the module contract)."""

    method: TrackingMethod = TrackingMethod.ANNOTATION
    label_key: str = DEFAULT_INSTANCE_LABEL

    def app_of(self, obj: Mapping[str, Any]) -> str | None:
        """The app the object itself names (``<appns>_<app>`` kept as written), or ``None``.

        Owner references are not looked at here (the cache indexes owned objects under their
        owner's app); :meth:`is_managed` applies the top-level rule.
        """
        meta = _meta(obj)
        if self.method is TrackingMethod.LABEL:
            labels = meta.get("labels")
            value = labels.get(self.label_key) if isinstance(labels, Mapping) else None
            return str(value) if value else None
        annotations = meta.get("annotations")
        raw = annotations.get(TRACKING_ID) if isinstance(annotations, Mapping) else None
        if not raw:
            return None
        tid = parse_tracking_id(str(raw))
        if tid is None:
            return None
        own = (
            group_of(str(obj.get("apiVersion") or "")),
            str(obj.get("kind") or ""),
            str(meta.get("namespace") or ""),
            str(meta.get("name") or ""),
        )
        if (tid.group, tid.kind, tid.namespace, tid.name) != own:
            return None  # copied from another object: not ours to claim
        return tid.app

    def is_managed(self, app: str, obj: Mapping[str, Any]) -> bool:
        """True when ``obj`` is a top-level resource of ``app``."""
        if not app or _meta(obj).get("ownerReferences"):
            return False
        return self.app_of(obj) == app

    def stamp(self, app: str, obj: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of ``obj`` marked as ``app``'s (unchanged copy when ``app`` is empty)."""
        out = copy.deepcopy(dict(obj))
        if not app:
            return out
        meta = out.setdefault("metadata", {})
        if self.method is not TrackingMethod.LABEL:
            annotations = dict(meta.get("annotations") or {})
            annotations[TRACKING_ID] = tracking_id(app, out)
            meta["annotations"] = annotations
        if self.method is not TrackingMethod.ANNOTATION:
            labels = dict(meta.get("labels") or {})
            labels[self.label_key] = (
                app if self.method is TrackingMethod.LABEL else label_value(app)
            )
            meta["labels"] = labels
        return out


ANNOTATION_TRACKING = Tracking()

__all__ = [
    "ANNOTATION_TRACKING",
    "LABEL_MAX_LENGTH",
    "Tracking",
    "TrackingId",
    "label_value",
    "parse_tracking_id",
    "tracking_id",
]
