"""Three-way merge that predicts the live object after ``kubectl apply``.

Mirrors gitops-engine ``ThreeWayDiff``: with ``orig`` = the live object's
``last-applied-configuration`` (or the config itself when absent), the patch
``orig -> config`` is applied to live to get *predicted live*:

* a field in config is set to config's value;
* a field in orig but not in config was removed by the user and is deleted;
* a field only in live (server defaults, other controllers) is kept untouched, so it can
  never show up as a difference.

Lists follow strategic-merge-patch rules for built-in kinds (keyed lists such as
``containers`` merge item by item on their ``patchMergeKey``) and JSON-merge-patch rules
otherwise (the whole list is replaced), as kubectl does for unregistered types/CRDs.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

# API groups whose types ship with Kubernetes (strategic merge patch applies).
BUILTIN_GROUPS = frozenset(
    {
        "",
        "apps",
        "batch",
        "autoscaling",
        "policy",
        "networking.k8s.io",
        "rbac.authorization.k8s.io",
        "storage.k8s.io",
        "scheduling.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "node.k8s.io",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "certificates.k8s.io",
        "flowcontrol.apiserver.k8s.io",
    }
)

# patchMergeKey of keyed lists in the core API (k8s.io/api struct tags). ``ports`` is
# keyed by containerPort in a container and by port in a Service.
MERGE_KEYS: Mapping[str, tuple[str, ...]] = {
    "containers": ("name",),
    "initContainers": ("name",),
    "ephemeralContainers": ("name",),
    "env": ("name",),
    "volumes": ("name",),
    "volumeMounts": ("mountPath",),
    "volumeDevices": ("devicePath",),
    "imagePullSecrets": ("name",),
    "hostAliases": ("ip",),
    "ownerReferences": ("uid",),
    "conditions": ("type",),
    "webhooks": ("name",),
    "topologySpreadConstraints": ("topologyKey",),
    "ports": ("containerPort", "port"),
}


def three_way_merge(orig: Any, config: Any, live: Any, *, strategic: bool) -> Any:
    """Return predicted live; inputs are not modified.

    ``strategic`` selects strategic-merge list handling (built-in kinds) instead of
    JSON merge patch (CRDs and unknown kinds).
    """
    return _merge(orig, config, live, "", strategic)


def _merge(orig: Any, config: Any, live: Any, field: str, strategic: bool) -> Any:
    if isinstance(config, Mapping) and isinstance(live, Mapping):
        result = copy.deepcopy(dict(live))
        if isinstance(orig, Mapping):
            for key in orig:
                if key not in config:
                    result.pop(key, None)  # removed from Git since the last apply
        for key, value in config.items():
            if value is None:
                result.pop(key, None)  # explicit null deletes, as in a merge patch
            elif key in live:
                sub_orig = orig.get(key) if isinstance(orig, Mapping) else None
                result[key] = _merge(sub_orig, value, live[key], str(key), strategic)
            else:
                result[key] = copy.deepcopy(value)
        return result
    if isinstance(config, list) and isinstance(live, list) and strategic:
        merge_key = _pick_merge_key(field, config, live)
        if merge_key is not None:
            return _merge_keyed(orig, config, live, merge_key, strategic)
    return copy.deepcopy(config)


def _pick_merge_key(field: str, config: list[Any], live: list[Any]) -> str | None:
    for candidate in MERGE_KEYS.get(field, ()):
        items = config + live
        if items and all(isinstance(i, Mapping) and candidate in i for i in items):
            keys = [i[candidate] for i in config]
            if len(keys) == len(set(map(repr, keys))):
                return candidate
    return None


def _merge_keyed(orig: Any, config: list[Any], live: list[Any], key: str, strategic: bool) -> Any:
    def by_key(items: Any) -> dict[str, Any]:
        if not isinstance(items, list):
            return {}
        return {repr(i[key]): i for i in items if isinstance(i, Mapping) and key in i}

    orig_items, live_items = by_key(orig), by_key(live)
    config_keys = {repr(i[key]) for i in config}
    result = []
    # Config order wins (strategic merge's $setElementOrder), so a reorder in Git is a diff.
    for item in config:
        k = repr(item[key])
        if k in live_items:
            result.append(_merge(orig_items.get(k), item, live_items[k], "", strategic))
        else:
            result.append(copy.deepcopy(item))
    # Items nobody applied (e.g. an injected sidecar) stay; items removed from Git go.
    for k, item in live_items.items():
        if k not in config_keys and k not in orig_items:
            result.append(copy.deepcopy(item))
    return result
