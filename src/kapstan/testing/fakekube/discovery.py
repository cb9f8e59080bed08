"""Discovery documents: aggregated (``apidiscovery.k8s.io/v2``) and legacy.

Contract: ``/api`` and ``/apis`` answer an ``APIGroupDiscoveryList`` (content type
:data:`AGGREGATED`) when the request accepts ``as=APIGroupDiscoveryList`` and the fake serves
aggregated discovery, else the legacy ``APIVersions`` / ``APIGroupList``; ``/apis/<group>`` is
an ``APIGroup`` and ``/api/v1``, ``/apis/<group>/<version>`` an ``APIResourceList`` (with
``<plural>/status`` entries for status subresources). Versions are listed preferred first, so
the first version is the preferred one in both formats. Everything is computed from the live
kind registry, so a CRD is discoverable as soon as it is stored.
"""

from __future__ import annotations

from typing import Any

from kapstan.testing.fakekube.kinds import Kind, Kinds

AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
_STATUS_VERBS = ["get", "patch", "update"]


def wants_aggregated(accept: str) -> bool:
    return "as=APIGroupDiscoveryList" in accept.replace(" ", "")


def _of(kinds: Kinds, group: str, version: str) -> list[Kind]:
    return [k for k in kinds if k.group == group and version in k.versions]


def _aggregated_resource(kind: Kind, version: str) -> dict[str, Any]:
    response = {"group": kind.group, "version": version, "kind": kind.kind}
    out: dict[str, Any] = {
        "resource": kind.plural,
        "responseKind": response,
        "scope": "Namespaced" if kind.namespaced else "Cluster",
        "singularResource": kind.singular or kind.kind.lower(),
        "verbs": sorted(kind.verbs),
    }
    if kind.short_names:
        out["shortNames"] = list(kind.short_names)
    if kind.status_subresource:
        out["subresources"] = [
            {"subresource": "status", "responseKind": response, "verbs": _STATUS_VERBS}
        ]
    return out


def aggregated(kinds: Kinds, *, core: bool) -> dict[str, Any]:
    """The ``APIGroupDiscoveryList`` of ``/api`` (``core``) or ``/apis``."""
    items = []
    for group, versions in kinds.versions().items():
        if (group == "") != core:
            continue
        item_meta: dict[str, Any] = {"creationTimestamp": None}
        if group:
            item_meta["name"] = group
        items.append(
            {
                "metadata": item_meta,
                "versions": [
                    {
                        "version": v,
                        "resources": [_aggregated_resource(k, v) for k in _of(kinds, group, v)],
                        "freshness": "Current",
                    }
                    for v in versions
                ],
            }
        )
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": items,
    }


def api_versions() -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": "fake.invalid:443"}
        ],
    }


def _group(group: str, versions: list[str]) -> dict[str, Any]:
    listed = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": listed, "preferredVersion": listed[0]}


def group_list(kinds: Kinds) -> dict[str, Any]:
    groups = [_group(g, vs) for g, vs in kinds.versions().items() if g]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(kinds: Kinds, group: str) -> dict[str, Any] | None:
    versions = kinds.versions().get(group)
    if not group or not versions:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(group, versions)}


def resource_list(kinds: Kinds, group: str, version: str) -> dict[str, Any] | None:
    """The legacy ``APIResourceList`` of one group version (``None``: not served)."""
    served = _of(kinds, group, version)
    if not served:
        return None
    resources: list[dict[str, Any]] = []
    for k in served:
        entry: dict[str, Any] = {
            "name": k.plural,
            "singularName": k.singular or k.kind.lower(),
            "namespaced": k.namespaced,
            "kind": k.kind,
            "verbs": sorted(k.verbs),
        }
        if k.short_names:
            entry["shortNames"] = list(k.short_names)
        resources.append(entry)
        if k.status_subresource:
            resources.append(
                {"name": f"{k.plural}/status", "singularName": "", "namespaced": k.namespaced,
                 "kind": k.kind, "verbs": _STATUS_VERBS}
            )  # fmt: skip
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": resources,
    }
