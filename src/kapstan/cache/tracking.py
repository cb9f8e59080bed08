"""Which Argo CD application an object belongs to (resource tracking).

Contract: in ``annotation`` mode the ``argocd.argoproj.io/tracking-id`` annotation
(``<app>:<group>/<kind>:<namespace>/<name>``) names the app only when its group, kind,
namespace and name are the object's own: a copied annotation (e.g. a Secret copied by a tool)
must not make the copy look managed. ``label`` mode reads ``label_key``
(``app.kubernetes.io/instance`` by default); ``annotation+label`` uses the annotation and
requires the label to be present (Argo CD's rule). Returns ``None`` when untracked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from kapstan.model.keys import group_of

TRACKING_ID = "argocd.argoproj.io/tracking-id"
DEFAULT_LABEL = "app.kubernetes.io/instance"
Method = Literal["annotation", "label", "annotation+label"]


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


@dataclass(frozen=True)
class Tracking:
    """The configured tracking method (argocd-cm ``application.resourceTrackingMethod``)."""

    method: Method = "annotation"
    label_key: str = DEFAULT_LABEL

    def app_of(self, obj: Mapping[str, Any]) -> str | None:
        """The app name tracking ``obj`` (``<appns>_<app>`` kept as written), or ``None``."""
        meta = obj.get("metadata")
        if not isinstance(meta, Mapping):
            return None
        labels = meta.get("labels") or {}
        label = labels.get(self.label_key) if isinstance(labels, Mapping) else None
        if self.method == "label":
            return str(label) if label else None
        annotations = meta.get("annotations") or {}
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
        if self.method == "annotation+label" and not label:
            return None
        return tid.app
