"""GET of one object and of collections (selectors, ``limit``/``continue`` paging).

Contract of :func:`list_objects`:

- items come in etcd key order (namespace, then name), filtered by ``labelSelector`` and
  ``fieldSelector``; ``metadata.resourceVersion`` is the store's current resourceVersion (on
  continued pages: the first page's, as on a real server);
- with ``limit`` a page holds at most that many items and, when more remain, ``continue``
  (an opaque token) and ``remainingItemCount``. Approximation: a continued page shows the
  *current* objects after the token's position, not a snapshot at the first page's
  resourceVersion; a token older than the compacted history is 410 ``Expired``, as when etcd
  compacted the revision the list was served at;
- ``resourceVersion``/``resourceVersionMatch`` are ignored: every list is served from the
  current state (``resourceVersion=""`` semantics), which is never older than asked for;
- items of built-in kinds carry no ``apiVersion``/``kind`` (the list has them), items of
  custom resources do: both as kube-apiserver answers JSON lists.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

import orjson

from kapstan.testing.fakekube.cluster import Cluster, meta
from kapstan.testing.fakekube.kinds import Kind
from kapstan.testing.fakekube.selectors import selector
from kapstan.testing.fakekube.status import bad_request, expired

_TOO_OLD = (
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this "
    "response to retrieve the remainder of the results. Continuing with the provided token "
    "results in an inconsistent list - objects that were created, modified, or deleted "
    "between the time the first chunk was returned and now may show up in the list."
)


def get_object(
    cluster: Cluster, kind: Kind, version: str, namespace: str, name: str
) -> dict[str, Any]:
    with cluster.store.lock:
        return cluster.render(kind, cluster.require(kind, namespace, name), version)


def _token(rv: int, after: tuple[str, str]) -> str:
    raw = orjson.dumps({"rv": rv, "start": list(after)})
    return base64.urlsafe_b64encode(raw).decode()


def _untoken(token: str) -> tuple[int, tuple[str, str]]:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token.encode()))
        return int(data["rv"]), (str(data["start"][0]), str(data["start"][1]))
    except (binascii.Error, orjson.JSONDecodeError, KeyError, IndexError, TypeError, ValueError):
        raise bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion"
        ) from None


def _limit(params: Mapping[str, str]) -> int:
    raw = params.get("limit") or "0"
    try:
        return max(0, int(raw))
    except ValueError:
        raise bad_request(f"limit: Invalid value: {raw!r}") from None


def list_objects(
    cluster: Cluster, kind: Kind, version: str, namespace: str, params: Mapping[str, str]
) -> dict[str, Any]:
    """One page of a collection (see the module contract)."""
    match = selector(params, kind)
    limit = _limit(params)
    with cluster.store.lock:
        rv, after = cluster.store.rv, ("", "")
        if params.get("continue"):
            rv, after = _untoken(params["continue"])
            if rv < cluster.store.compacted:
                raise expired(_TOO_OLD)
        items = [
            obj
            for obj in cluster.store.items(kind.group, kind.plural, namespace)
            if (meta(obj).get("namespace", ""), meta(obj)["name"]) > after and match(obj)
        ]
        page = items[:limit] if limit else items
        list_meta: dict[str, Any] = {"resourceVersion": str(rv)}
        if limit and len(items) > limit:
            last = meta(page[-1])
            list_meta["continue"] = _token(rv, (last.get("namespace", ""), last["name"]))
            list_meta["remainingItemCount"] = len(items) - limit
        rendered = [cluster.render(kind, obj, version) for obj in page]
    if not kind.custom:
        for item in rendered:
            del item["apiVersion"], item["kind"]
    return {
        "kind": f"{kind.kind}List",
        "apiVersion": kind.api_version(version),
        "metadata": list_meta,
        "items": rendered,
    }
