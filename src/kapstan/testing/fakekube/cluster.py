"""The objects' lifecycle: commits, deletion with finalizers, cascades, served CRDs.

Contract of :class:`Cluster` (all methods take the store lock):

- :meth:`commit` stores a new object state; a state that is being deleted
  (``deletionTimestamp``) and is free to go (no finalizers; a Namespace with no content left;
  a CRD with no instances left) is removed instead, as the API server does when the last
  finalizer is removed;
- :meth:`begin_delete` deletes like the API server plus the controllers it relies on, but
  synchronously: an object with finalizers gets ``deletionTimestamp`` and stays; otherwise it
  is removed. A Namespace turns ``Terminating`` and its content is deleted (the namespace
  controller); a CRD's instances are deleted (the CRD cleanup finalizer); dependents (by
  ``ownerReferences`` uid) are deleted when the owner goes (``Background``) or before
  (``Foreground``; no ``foregroundDeletion`` finalizer stage), or lose the reference
  (``Orphan``) — the garbage collector, approximately;
- a stored CRD is Established at once: its status gets ``NamesAccepted`` and ``Established``
  conditions and its served versions become a served :class:`Kind`; a removed CRD stops being
  served and its open watches end (the next request for it is a 404).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from kapstan.testing.fakekube.kinds import CRD_GROUP, Kind, Kinds, builtin_kinds, kind_from_crd
from kapstan.testing.fakekube.status import not_found
from kapstan.testing.fakekube.store import Key, Store


def rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def meta(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj["metadata"]``, created when missing."""
    m = obj.get("metadata")
    if not isinstance(m, dict):
        m = obj["metadata"] = {}
    return m


class Cluster:
    """Kinds plus store plus the synchronous stand-ins for the built-in controllers."""

    def __init__(self, *, history: int, clock: Callable[[], datetime] | None = None) -> None:
        self.kinds = Kinds(builtin_kinds())
        self.store = Store(history)
        self.clock = clock or (lambda: datetime.now(UTC))
        crd = self.kinds.get(CRD_GROUP, "customresourcedefinitions")
        assert crd is not None
        self.crd = crd

    def now(self) -> str:
        return rfc3339(self.clock())

    @staticmethod
    def new_uid() -> str:
        return str(uuid.uuid4())

    # -- reads ---------------------------------------------------------------------------------
    @staticmethod
    def key(kind: Kind, namespace: str, name: str) -> Key:
        return (kind.group, kind.plural, namespace if kind.namespaced else "", name)

    def live(self, kind: Kind, namespace: str, name: str) -> dict[str, Any] | None:
        return self.store.get(self.key(kind, namespace, name))

    def require(self, kind: Kind, namespace: str, name: str) -> dict[str, Any]:
        found = self.live(kind, namespace, name)
        if found is None:
            raise not_found(kind, name)
        return found

    def kind_of(self, key: Key) -> Kind | None:
        return self.kinds.get(key[0], key[1])

    @staticmethod
    def render(kind: Kind, obj: dict[str, Any], version: str = "") -> dict[str, Any]:
        """A copy of ``obj`` as served at ``version`` (the preferred one by default)."""
        body = {k: copy.deepcopy(v) for k, v in obj.items() if k not in ("apiVersion", "kind")}
        return {"apiVersion": kind.api_version(version), "kind": kind.kind, **body}

    def _select(
        self, test: Callable[[Key, dict[str, Any]], bool]
    ) -> list[tuple[Kind, dict[str, Any]]]:
        out = []
        for key, obj in self.store.all():
            kind = self.kind_of(key)
            if kind is not None and test(key, obj):
                out.append((kind, obj))
        return out

    def in_namespace(self, namespace: str) -> list[tuple[Kind, dict[str, Any]]]:
        return self._select(lambda key, _obj: key[2] == namespace)

    def dependents(self, uid: str) -> list[tuple[Kind, dict[str, Any]]]:
        def owned(_key: Key, obj: dict[str, Any]) -> bool:
            refs = meta(obj).get("ownerReferences") or []
            return any(isinstance(r, dict) and r.get("uid") == uid for r in refs)

        return self._select(owned) if uid else []

    def instances(self, crd: dict[str, Any]) -> list[tuple[Kind, dict[str, Any]]]:
        spec = crd.get("spec") or {}
        group, plural = spec.get("group"), (spec.get("names") or {}).get("plural")
        return self._select(lambda key, _obj: (key[0], key[1]) == (group, plural))

    # -- writes --------------------------------------------------------------------------------
    def _free(self, kind: Kind, obj: dict[str, Any]) -> bool:
        m = meta(obj)
        if not m.get("deletionTimestamp") or m.get("finalizers"):
            return False
        if kind.kind == "Namespace" and kind.group == "":
            return not self.in_namespace(str(m.get("name")))
        if kind is self.crd:
            return not self.instances(obj)
        return True

    def commit(self, kind: Kind, obj: dict[str, Any]) -> dict[str, Any]:
        """Store ``obj`` (or remove it, see the contract); returns the committed state."""
        with self.store.lock:
            if self._free(kind, obj):
                return self.remove(kind, obj, final=obj)
            if kind is self.crd:
                obj["status"] = self._crd_status(obj)
            self.store.write(self.key(kind, meta(obj).get("namespace", ""), meta(obj)["name"]), obj)
            if kind is self.crd and not meta(obj).get("deletionTimestamp"):
                served = kind_from_crd(obj)
                if served is not None:
                    self.kinds.add(served, merge=False)
            return obj

    def remove(
        self, kind: Kind, obj: dict[str, Any], *, final: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Remove ``obj`` now and let the stand-in controllers react; the DELETED event shows
        ``final`` (the last update's state) or else the stored state."""
        with self.store.lock:
            m = meta(obj)
            key = self.key(kind, m.get("namespace", ""), m["name"])
            event = self.store.delete(key, final)
            gone = event.obj if event is not None else obj
            for dep_kind, dep in self.dependents(str(m.get("uid") or "")):
                self.begin_delete(dep_kind, dep, "Background")
            if kind is self.crd:
                self._unserve(obj)
            self._settle(m.get("namespace", ""), kind)
            return gone

    def _settle(self, namespace: str, kind: Kind) -> None:
        """A removal may free a Terminating namespace or a deleting CRD."""
        ns_kind = self.kinds.get("", "namespaces")
        if namespace and ns_kind is not None:
            ns = self.live(ns_kind, "", namespace)
            if ns is not None and self._free(ns_kind, ns):
                self.remove(ns_kind, ns)
        if kind.custom:
            crd = self.live(self.crd, "", f"{kind.plural}.{kind.group}")
            if crd is not None and self._free(self.crd, crd):
                self.remove(self.crd, crd)

    def begin_delete(self, kind: Kind, obj: dict[str, Any], policy: str) -> dict[str, Any]:
        """Delete ``obj`` (see the contract); returns its state afterwards."""
        with self.store.lock:
            m = meta(obj)
            current = self.live(kind, m.get("namespace", ""), m["name"])
            if current is None:
                return obj  # removed meanwhile (by a cascade)
            obj = current
            uid = str(meta(obj).get("uid") or "")
            if policy == "Orphan":
                for dep_kind, stored in self.dependents(uid):
                    dep = copy.deepcopy(stored)
                    refs = meta(dep).get("ownerReferences") or []
                    meta(dep)["ownerReferences"] = [r for r in refs if r.get("uid") != uid]
                    if not meta(dep)["ownerReferences"]:
                        del meta(dep)["ownerReferences"]
                    self.commit(dep_kind, dep)
            elif policy == "Foreground":
                for dep_kind, dep in self.dependents(uid):
                    self.begin_delete(dep_kind, dep, "Foreground")
            obj = copy.deepcopy(obj)
            m = meta(obj)
            if not m.get("deletionTimestamp"):
                m["deletionTimestamp"] = self.now()
                m["deletionGracePeriodSeconds"] = 0
            is_ns = kind.kind == "Namespace" and kind.group == ""
            if is_ns:
                obj.setdefault("status", {})["phase"] = "Terminating"
            if is_ns or kind is self.crd or m.get("finalizers"):
                current = self.live(kind, m.get("namespace", ""), m["name"])
                if current is not None and current != obj:
                    obj = self.commit(kind, obj)
                children = self.in_namespace(m["name"]) if is_ns else []
                children += self.instances(obj) if kind is self.crd else []
                for child_kind, child in children:
                    self.begin_delete(child_kind, child, "Background")
                current = self.live(kind, m.get("namespace", ""), m["name"])
                if current is not None and self._free(kind, current):
                    return self.remove(kind, current)
                return current if current is not None else obj
            return self.remove(kind, obj)

    # -- CRDs ----------------------------------------------------------------------------------
    def _crd_status(self, crd: dict[str, Any]) -> dict[str, Any]:
        old = crd.get("status") or {}
        since = {c.get("type"): c for c in old.get("conditions") or [] if isinstance(c, dict)}
        spec = crd.get("spec") or {}
        conditions = []
        for type_, reason, message in (
            ("NamesAccepted", "NoConflicts", "no conflicts found"),
            ("Established", "InitialNamesAccepted", "the initial names have been accepted"),
        ):
            stamp = (since.get(type_) or {}).get("lastTransitionTime") or self.now()
            conditions.append(
                {
                    "type": type_,
                    "status": "True",
                    "lastTransitionTime": stamp,
                    "reason": reason,
                    "message": message,
                }
            )
        if meta(crd).get("deletionTimestamp"):
            conditions.append(
                {
                    "type": "Terminating",
                    "status": "True",
                    "lastTransitionTime": self.now(),
                    "reason": "InstanceDeletionInProgress",
                    "message": "CustomResource deletion is in progress",
                }
            )
        stored = [v.get("name") for v in spec.get("versions") or [] if v.get("storage")]
        return {
            "conditions": conditions,
            "acceptedNames": copy.deepcopy(spec.get("names") or {}),
            "storedVersions": sorted(set(old.get("storedVersions") or []) | set(stored)),
        }

    def _unserve(self, crd: dict[str, Any]) -> None:
        served = kind_from_crd(crd)
        if served is None:
            return
        self.kinds.remove(served.group, served.plural)
        for watcher in self.store.watchers(served.group, served.plural):
            watcher.end()
