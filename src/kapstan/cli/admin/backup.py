"""What ``kapstan admin export``/``import`` treat as Argo CD data, and how, as ``argocd`` does.

Contract (pure functions, no I/O):

- :data:`SETTINGS_CONFIGMAPS`: the ConfigMaps exported and imported (argocd-cm,
  argocd-rbac-cm, argocd-ssh-known-hosts-cm, argocd-tls-certs-cm, in that order);
- :func:`is_argocd_secret`: ``argocd-secret``, a Secret named by argocd-cm's legacy
  ``repositories``/``repository.credentials`` entries (:func:`referenced_secrets`), one
  labelled ``argocd.argoproj.io/secret-type`` or annotated ``managed-by: argocd.argoproj.io``;
- :func:`exported`: the object with only name, finalizers, labels and annotations left of its
  metadata (and the namespace when it is not the installation's), everything else (spec, data,
  status, operation) kept;
- :func:`unchanged`: labels, annotations and finalizers equal, and the kind's payload equal
  (``data`` of ConfigMaps and Secrets, ``spec`` of AppProjects and ApplicationSets, ``spec``
  and ``status`` of Applications ignoring ``reconciledAt``/``observedAt``);
- :func:`updated`: the live object with the backup's labels, annotations, finalizers and
  payload (other metadata and status kept; ``--stop-operation`` drops an app's operation).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from kapstan.model.vocabulary import (
    APPLICATIONS,
    APPLICATIONSETS,
    APPPROJECTS,
    ARGOCD_CM,
    ARGOCD_RBAC_CM,
    ARGOCD_SECRET,
    DEFAULT_INSTANCE_LABEL,
    GROUP,
    KNOWN_HOSTS_CM,
    SECRET_TYPE_LABEL,
    TLS_CERTS_CM,
    TRACKING_ID,
    configmaps_path,
    resource_path,
    secrets_path,
)
from kapstan.services.typedsecrets import MANAGED_BY, MANAGED_BY_ARGOCD

SETTINGS_CONFIGMAPS = (ARGOCD_CM, ARGOCD_RBAC_CM, KNOWN_HOSTS_CM, TLS_CERTS_CM)
CONFIGMAP, SECRET = "ConfigMap", "Secret"
APPLICATION, APPPROJECT, APPLICATIONSET = "Application", "AppProject", "ApplicationSet"
# kind -> (group, plural); the kinds import knows how to write.
KINDS: dict[str, tuple[str, str]] = {
    CONFIGMAP: ("", "configmaps"),
    SECRET: ("", "secrets"),
    APPPROJECT: (GROUP, APPPROJECTS),
    APPLICATION: (GROUP, APPLICATIONS),
    APPLICATIONSET: (GROUP, APPLICATIONSETS),
}
_SECRET_REFS = (
    "passwordSecret",
    "sshPrivateKeySecret",
    "usernameSecret",
    "tlsClientCertDataSecret",
    "tlsClientCertKeySecret",
)
_VOLATILE_STATUS = ("reconciledAt", "observedAt")

Key = tuple[str, str, str, str]  # group, kind, namespace, name


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def key_of(obj: Mapping[str, Any]) -> Key:
    group = str(obj.get("apiVersion") or "").rpartition("/")[0]
    meta = _meta(obj)
    return group, str(obj.get("kind") or ""), str(meta.get("namespace") or ""), str(meta["name"])


def object_path(kind: str, namespace: str, name: str = "") -> str:
    """The API path of one object (or the collection) of a kind in :data:`KINDS`."""
    if kind == CONFIGMAP:
        return configmaps_path(namespace, name)
    if kind == SECRET:
        return secrets_path(namespace, name)
    return resource_path(KINDS[kind][1], namespace, name)


def referenced_secrets(argocd_cm: Mapping[str, Any] | None) -> set[str]:
    """Secrets named by argocd-cm's legacy ``repositories``/``repository.credentials``."""
    data = (argocd_cm or {}).get("data") or {}
    names: set[str] = set()
    for key in ("repositories", "repository.credentials"):
        try:
            entries = yaml.safe_load(str(data.get(key) or "")) or []
        except yaml.YAMLError:
            continue
        for entry in entries if isinstance(entries, list) else []:
            for ref in _SECRET_REFS:
                target = entry.get(ref) if isinstance(entry, Mapping) else None
                if isinstance(target, Mapping) and target.get("name"):
                    names.add(str(target["name"]))
    return names


def is_argocd_secret(secret: Mapping[str, Any], referenced: Iterable[str]) -> bool:
    meta = _meta(secret)
    name = str(meta.get("name") or "")
    return (
        name == ARGOCD_SECRET
        or name in set(referenced)
        or SECRET_TYPE_LABEL in (meta.get("labels") or {})
        or (meta.get("annotations") or {}).get(MANAGED_BY) == MANAGED_BY_ARGOCD
    )


def exported(obj: Mapping[str, Any], argocd_namespace: str) -> dict[str, Any]:
    out = {k: copy.deepcopy(v) for k, v in obj.items() if k != "metadata"}
    meta = _meta(obj)
    kept: dict[str, Any] = {"name": meta.get("name")}
    for field in ("finalizers", "labels", "annotations"):
        if meta.get(field):
            kept[field] = copy.deepcopy(meta[field])
    namespace = meta.get("namespace")
    if namespace and namespace != argocd_namespace:
        kept["namespace"] = namespace
    out["metadata"] = kept
    return out


def _payload(obj: Mapping[str, Any]) -> Any:
    kind = obj.get("kind")
    if kind in (CONFIGMAP, SECRET):
        return obj.get("data") or {}
    if kind == APPLICATION:
        status = {k: v for k, v in (obj.get("status") or {}).items() if k not in _VOLATILE_STATUS}
        return obj.get("spec") or {}, status
    return obj.get("spec") or {}


def unchanged(backup: Mapping[str, Any], live: Mapping[str, Any]) -> bool:
    left, right = _meta(backup), _meta(live)
    for field in ("labels", "annotations", "finalizers"):
        if (left.get(field) or None) != (right.get(field) or None):
            return False
    return bool(_payload(backup) == _payload(live))


def updated(
    backup: Mapping[str, Any], live: Mapping[str, Any], *, stop_operation: bool
) -> dict[str, Any]:
    new = copy.deepcopy(dict(live))
    meta = new.setdefault("metadata", {})
    for field in ("labels", "annotations", "finalizers"):
        value = _meta(backup).get(field)
        if value:
            meta[field] = copy.deepcopy(value)
        else:
            meta.pop(field, None)
    kind = live.get("kind")
    if kind in (CONFIGMAP, SECRET):
        new["data"] = copy.deepcopy(backup.get("data"))
    else:
        new["spec"] = copy.deepcopy(backup.get("spec"))
    if kind == APPLICATION:
        if "status" in backup:
            new["status"] = copy.deepcopy(backup["status"])
        if stop_operation:
            new.pop("operation", None)
    return new


def keep_tracking(backup: dict[str, Any], live: Mapping[str, Any]) -> None:
    """``--ignore-tracking``: the live tracking annotation and instance label win."""
    for field, key in (("annotations", TRACKING_ID), ("labels", DEFAULT_INSTANCE_LABEL)):
        mine = _meta(backup).get(field)
        theirs = _meta(live).get(field) or {}
        if isinstance(mine, dict) and key in mine and key in theirs:
            mine[key] = theirs[key]


__all__ = [
    "KINDS",
    "SETTINGS_CONFIGMAPS",
    "exported",
    "is_argocd_secret",
    "keep_tracking",
    "key_of",
    "object_path",
    "referenced_secrets",
    "unchanged",
    "updated",
]
