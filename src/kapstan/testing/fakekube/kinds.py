"""The resource kinds a :class:`~kapstan.testing.fakekube.FakeKube` serves.

Contract: a :class:`Kind` is one group/resource (``apps``/``deployments``) served at one or
more versions, preferred version first (Kubernetes' version priority: GA before beta before
alpha, higher numbers first). Objects are stored once per kind, whatever version they were
written at, and are answered at the version that was asked for (a CRD with conversion
``None`` behaves exactly like that). :class:`Kinds` is the registry: the built-in kinds below,
plus CRDs and :meth:`FakeKube.register` calls.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

VERBS = frozenset(
    {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
)
CRD_GROUP = "apiextensions.k8s.io"


@dataclass(frozen=True)
class Kind:
    """One served resource. ``fields`` lists the top-level fields of a built-in type (for
    ``fieldValidation``); ``None`` accepts any field (custom resources)."""

    group: str
    kind: str
    plural: str
    namespaced: bool
    versions: tuple[str, ...] = ("v1",)
    status_subresource: bool = False
    generation: bool = False
    custom: bool = False
    singular: str = ""
    short_names: tuple[str, ...] = ()
    verbs: frozenset[str] = VERBS
    fields: frozenset[str] | None = None

    @property
    def preferred(self) -> str:
        return self.versions[0]

    def api_version(self, version: str = "") -> str:
        version = version or self.preferred
        return f"{self.group}/{version}" if self.group else version

    @property
    def resource(self) -> str:
        """``plural.group`` as in error messages (``deployments.apps``; ``configmaps``)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


_PRIORITY = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_order(version: str) -> tuple[int, int, int, str]:
    """Sort key putting the version Kubernetes would prefer first."""
    m = _PRIORITY.match(version)
    if m is None:
        return (3, 0, 0, version)  # not Kubernetes-shaped: last, alphabetically
    stage = {None: 0, "beta": 1, "alpha": 2}[m.group(2)]
    return (stage, -int(m.group(1)), -int(m.group(3) or 0), version)


_WORKLOAD = frozenset({"spec", "status"})
_EVENT = frozenset(
    {
        "involvedObject", "reason", "message", "source", "firstTimestamp", "lastTimestamp",
        "count", "type", "eventTime", "series", "action", "related", "reportingComponent",
        "reportingInstance",
    }
)  # fmt: skip
_EVENTS_V1 = frozenset(
    {
        "eventTime", "series", "reportingController", "reportingInstance", "action", "reason",
        "regarding", "related", "note", "type", "deprecatedSource", "deprecatedFirstTimestamp",
        "deprecatedLastTimestamp", "deprecatedCount",
    }
)  # fmt: skip

# (group, version, kind, plural, namespaced, flags, short names, top-level fields).
# flags: "s" has a status subresource, "g" bumps metadata.generation on spec changes.
_BUILTIN: tuple[tuple[str, str, str, str, bool, str, str, frozenset[str]], ...] = (
    ("", "v1", "Namespace", "namespaces", False, "s", "ns", _WORKLOAD),
    ("", "v1", "ConfigMap", "configmaps", True, "", "cm",
     frozenset({"data", "binaryData", "immutable"})),
    ("", "v1", "Secret", "secrets", True, "", "",
     frozenset({"data", "stringData", "type", "immutable"})),
    ("", "v1", "Service", "services", True, "s", "svc", _WORKLOAD),
    ("", "v1", "ServiceAccount", "serviceaccounts", True, "", "sa",
     frozenset({"secrets", "imagePullSecrets", "automountServiceAccountToken"})),
    ("", "v1", "Pod", "pods", True, "s", "po", _WORKLOAD),
    ("", "v1", "Endpoints", "endpoints", True, "", "ep", frozenset({"subsets"})),
    ("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", True, "s", "pvc", _WORKLOAD),
    ("", "v1", "PersistentVolume", "persistentvolumes", False, "s", "pv", _WORKLOAD),
    ("", "v1", "Node", "nodes", False, "s", "no", _WORKLOAD),
    ("", "v1", "Event", "events", True, "", "ev", _EVENT),
    ("apps", "v1", "Deployment", "deployments", True, "sg", "deploy", _WORKLOAD),
    ("apps", "v1", "ReplicaSet", "replicasets", True, "sg", "rs", _WORKLOAD),
    ("apps", "v1", "StatefulSet", "statefulsets", True, "sg", "sts", _WORKLOAD),
    ("apps", "v1", "DaemonSet", "daemonsets", True, "sg", "ds", _WORKLOAD),
    ("apps", "v1", "ControllerRevision", "controllerrevisions", True, "", "",
     frozenset({"data", "revision"})),
    ("batch", "v1", "Job", "jobs", True, "sg", "", _WORKLOAD),
    ("batch", "v1", "CronJob", "cronjobs", True, "sg", "cj", _WORKLOAD),
    ("networking.k8s.io", "v1", "Ingress", "ingresses", True, "sg", "ing", _WORKLOAD),
    ("networking.k8s.io", "v1", "IngressClass", "ingressclasses", False, "", "", _WORKLOAD),
    ("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", True, "g", "netpol", _WORKLOAD),
    ("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", True, "sg", "pdb", _WORKLOAD),
    ("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True, "sg", "hpa",
     _WORKLOAD),
    ("rbac.authorization.k8s.io", "v1", "Role", "roles", True, "", "", frozenset({"rules"})),
    ("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", True, "", "",
     frozenset({"subjects", "roleRef"})),
    ("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False, "", "",
     frozenset({"rules", "aggregationRule"})),
    ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", False, "", "",
     frozenset({"subjects", "roleRef"})),
    (CRD_GROUP, "v1", "CustomResourceDefinition", "customresourcedefinitions", False, "sg", "crd",
     _WORKLOAD),
    ("coordination.k8s.io", "v1", "Lease", "leases", True, "", "", frozenset({"spec"})),
    ("events.k8s.io", "v1", "Event", "events", True, "", "ev", _EVENTS_V1),
    ("storage.k8s.io", "v1", "StorageClass", "storageclasses", False, "", "sc",
     frozenset({"provisioner", "parameters", "reclaimPolicy", "mountOptions",
                "allowVolumeExpansion", "volumeBindingMode", "allowedTopologies"})),
    ("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", False, "", "pc",
     frozenset({"value", "globalDefault", "description", "preemptionPolicy"})),
    ("apiregistration.k8s.io", "v1", "APIService", "apiservices", False, "s", "", _WORKLOAD),
)  # fmt: skip


def builtin_kinds() -> list[Kind]:
    """The built-in kinds, freshly built (the registry is per fake)."""
    return [
        Kind(
            group=g,
            kind=k,
            plural=p,
            namespaced=ns,
            versions=(v,),
            status_subresource="s" in flags,
            generation="g" in flags,
            singular=k.lower(),
            short_names=tuple(short.split()),
            fields=fields,
        )
        for g, v, k, p, ns, flags, short, fields in _BUILTIN
    ]


def kind_from_crd(crd: dict[str, Any]) -> Kind | None:
    """The kind a CustomResourceDefinition serves (``None`` when it serves no version).

    Simplification: the status subresource is per kind, on when any served version declares
    it (real CRDs may differ per version).
    """
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    versions = [v for v in spec.get("versions") or [] if v.get("served", True) and v.get("name")]
    if not versions or not spec.get("group") or not names.get("plural") or not names.get("kind"):
        return None
    return Kind(
        group=str(spec["group"]),
        kind=str(names["kind"]),
        plural=str(names["plural"]),
        namespaced=spec.get("scope", "Namespaced") == "Namespaced",
        versions=tuple(sorted((str(v["name"]) for v in versions), key=version_order)),
        status_subresource=any("status" in (v.get("subresources") or {}) for v in versions),
        generation=True,
        custom=True,
        singular=str(names.get("singular") or names["kind"].lower()),
        short_names=tuple(str(s) for s in names.get("shortNames") or ()),
    )


class Kinds:
    """The served kinds, by (group, plural); groups are listed in registration order."""

    def __init__(self, kinds: Iterable[Kind] = ()) -> None:
        self._by_resource: dict[tuple[str, str], Kind] = {}
        for kind in kinds:
            self.add(kind)

    def __iter__(self) -> Iterator[Kind]:
        return iter(list(self._by_resource.values()))

    def add(self, kind: Kind, *, merge: bool = True) -> Kind:
        """Serve ``kind``; with ``merge`` an already served group/plural keeps its other
        versions (a CRD update passes ``merge=False``: its spec lists every version)."""
        old = self._by_resource.get((kind.group, kind.plural))
        if old is not None and merge:
            merged = sorted(set(old.versions) | set(kind.versions), key=version_order)
            kind = replace(kind, versions=tuple(merged))
        self._by_resource[(kind.group, kind.plural)] = kind
        return kind

    def remove(self, group: str, plural: str) -> Kind | None:
        return self._by_resource.pop((group, plural), None)

    def get(self, group: str, plural: str) -> Kind | None:
        return self._by_resource.get((group, plural))

    def resolve(self, group: str, version: str, plural: str) -> Kind | None:
        """The kind served at ``/…/group/version/plural``, if any."""
        kind = self._by_resource.get((group, plural))
        return kind if kind is not None and version in kind.versions else None

    def find(self, kind: str, group: str | None = None) -> Kind:
        """The kind named ``kind`` (in ``group`` when given; else the only one, or the core
        one when several groups have it). Raises :class:`LookupError`."""
        found = [k for k in self if k.kind == kind and (group is None or k.group == group)]
        if len(found) > 1:
            found = [k for k in found if k.group == ""] or found
        if len(found) != 1:
            where = f" in group {group!r}" if group is not None else ""
            raise LookupError(f"{len(found)} served kinds named {kind!r}{where}")
        return found[0]

    def versions(self) -> dict[str, list[str]]:
        """group -> served versions, preferred first."""
        out: dict[str, list[str]] = {}
        for kind in self:
            have = out.setdefault(kind.group, [])
            have.extend(v for v in kind.versions if v not in have)
        return {g: sorted(vs, key=version_order) for g, vs in out.items()}
