""":class:`FakeKube`: the in-memory API server and the hooks tests use around it.

Contract: a :class:`FakeKube` is one cluster. Clients reach it through :meth:`transport`
(see :func:`~kapstan.testing.fakekube.fake_client`); tests seed, inspect and disturb it
directly with the methods below, which go through the same code paths as API requests
(except :meth:`put`, a backdoor that stores an object as given), and fail with the
:mod:`kapstan.kube.errors` class a client would get (e.g. ``NotFound``). Objects returned by the
hooks are copies: changing them changes nothing in the fake. Kinds are named by ``kind`` and,
where ambiguous (``Event``), ``group``.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from kapstan.engine.actions.patches import merge_patch
from kapstan.kube.errors import from_status
from kapstan.testing.fakekube.cluster import Cluster, meta
from kapstan.testing.fakekube.kinds import VERBS, Kind
from kapstan.testing.fakekube.logs import PodLogs
from kapstan.testing.fakekube.router import Reply, Request, Router
from kapstan.testing.fakekube.status import ApiError, expired
from kapstan.testing.fakekube.transport import FakeTransport, Fault, Faults, RequestRecord
from kapstan.testing.fakekube.writes import Options, defaults, update

Change = Callable[[dict[str, Any]], None] | Mapping[str, Any]


@contextmanager
def _as_client_errors(verb: str, kind: Kind, name: str) -> Iterator[None]:
    """Hooks fail with the :mod:`kapstan.kube.errors` class a client would see."""
    try:
        yield
    except ApiError as e:
        raise from_status(e.code, e.body(), verb=verb, path=f"{kind.resource}/{name}") from None


class FakeKube:
    """An in-memory Kubernetes API server (see :mod:`kapstan.testing.fakekube`).

    ``history`` bounds the watch event history (older resourceVersions are 410),
    ``aggregated_discovery=False`` makes ``/api`` and ``/apis`` answer only the legacy format,
    ``bookmark_interval`` (seconds) adds periodic bookmarks to watches that allow them,
    ``latency`` (seconds) delays every request, ``namespaces`` exist from the start.
    """

    def __init__(
        self,
        *,
        history: int = 10_000,
        aggregated_discovery: bool = True,
        bookmark_interval: float | None = None,
        latency: float = 0.0,
        namespaces: Iterable[str] = ("default", "kube-system", "kube-public"),
    ) -> None:
        self.cluster = Cluster(history=history)
        self.logs = PodLogs(self.cluster.clock)
        self._router = Router(
            self.cluster,
            aggregated=aggregated_discovery,
            bookmark_interval=bookmark_interval,
            logs=self.logs,
        )
        self._latency = latency
        self._faults = Faults()
        self._log: list[RequestRecord] = []
        self._log_lock = threading.Lock()
        for name in namespaces:
            self.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})

    # -- kinds ---------------------------------------------------------------------------------
    def register(
        self,
        group: str,
        version: str,
        kind: str,
        plural: str,
        namespaced: bool = True,
        *,
        status_subresource: bool = False,
        verbs: Iterable[str] = VERBS,
        short_names: Iterable[str] = (),
    ) -> Kind:
        """Serve a custom kind without a CRD object (as if its CRD had no ``subresources``
        unless ``status_subresource``). Registering another version adds it."""
        with self.cluster.store.lock:
            return self.cluster.kinds.add(
                Kind(
                    group=group,
                    kind=kind,
                    plural=plural,
                    namespaced=namespaced,
                    versions=(version,),
                    status_subresource=status_subresource,
                    generation=True,
                    custom=True,
                    singular=kind.lower(),
                    short_names=tuple(short_names),
                    verbs=frozenset(verbs),
                )
            )

    @property
    def kinds(self) -> list[Kind]:
        return list(self.cluster.kinds)

    def _kind(self, kind: str, group: str | None) -> Kind:
        return self.cluster.kinds.find(kind, group)

    # -- clients -------------------------------------------------------------------------------
    def transport(self) -> FakeTransport:
        """A new transport for one client (``KubeClient(config, transport=...)``)."""
        return FakeTransport(self.serve, latency=self._latency)

    def serve(self, request: Request) -> Reply:
        """Answer one request: an injected fault if one matches, else the API (logged)."""
        reply = self._faults.take(request.method, request.path) or self._router.handle(request)
        record = RequestRecord(
            request.method,
            request.path,
            dict(request.params),
            request.content_type,
            request.body,
            reply.code,
        )
        with self._log_lock:
            self._log.append(record)
        return reply

    # -- seeding and inspection ----------------------------------------------------------------
    def put(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """Store ``obj`` as given (status included; no validation, no managedFields change),
        creating or replacing it; fills in uid, creationTimestamp, generation and the
        namespace (``default`` when missing; created when it does not exist)."""
        group, _, version = str(obj.get("apiVersion") or "").rpartition("/")
        kind = self._kind(str(obj.get("kind") or ""), group)
        if version not in kind.versions:
            raise LookupError(f"{kind.resource} is not served at {version!r}")
        new = copy.deepcopy(dict(obj))
        m = meta(new)
        with self.cluster.store.lock:
            if kind.namespaced:
                m["namespace"] = m.get("namespace") or "default"
                if self.get_object("Namespace", m["namespace"], group="") is None:
                    self.put(
                        {
                            "apiVersion": "v1",
                            "kind": "Namespace",
                            "metadata": {"name": m["namespace"]},
                        }
                    )
            else:
                m.pop("namespace", None)
            old = self.cluster.live(kind, m.get("namespace", ""), m["name"])
            prev = meta(old) if old is not None else {}
            m.setdefault("uid", prev.get("uid") or self.cluster.new_uid())
            m.setdefault("creationTimestamp", prev.get("creationTimestamp") or self.cluster.now())
            if kind.generation:
                m.setdefault("generation", prev.get("generation") or 1)
            m.pop("resourceVersion", None)
            defaults(kind, new)
            return self.cluster.render(kind, self.cluster.commit(kind, new))

    def objects(
        self, kind: str | None = None, *, group: str | None = None, namespace: str | None = None
    ) -> list[dict[str, Any]]:
        """Copies of the stored objects (of one kind / namespace), in key order."""
        out = []
        for key, obj in self.cluster.store.all():
            k = self.cluster.kind_of(key)
            if k is None or (kind is not None and k.kind != kind):
                continue
            if (group is not None and k.group != group) or (
                namespace is not None and key[2] != namespace
            ):
                continue
            out.append(self.cluster.render(k, obj))
        return out

    def get_object(
        self, kind: str, name: str, namespace: str = "", *, group: str | None = None
    ) -> dict[str, Any] | None:
        """A copy of one stored object, or ``None``."""
        k = self._kind(kind, group)
        found = self.cluster.live(k, namespace, name)
        return None if found is None else self.cluster.render(k, found)

    def edit(
        self,
        kind: str,
        name: str,
        namespace: str = "",
        *,
        change: Change,
        group: str | None = None,
        manager: str = "kubectl",
        subresource: str = "",
    ) -> dict[str, Any]:
        """Another writer's update: ``change`` mutates a copy (a callable) or is a JSON merge
        patch (a mapping); stored as an Update by ``manager`` (managedFields, resourceVersion,
        generation and watch events as for any API update)."""
        k = self._kind(kind, group)
        with self.cluster.store.lock, _as_client_errors("EDIT", k, name):
            old = self.cluster.require(k, namespace, name)
            new = self.cluster.render(k, old)
            if callable(change):
                change(new)
            else:
                new = merge_patch(new, change)
            meta(new)["resourceVersion"] = meta(old)["resourceVersion"]
            opts = Options(manager=manager, subresource=subresource)
            written = update(self.cluster, k, k.preferred, namespace, name, new, opts)
            return self.cluster.render(k, written.obj)

    def delete(
        self,
        kind: str,
        name: str,
        namespace: str = "",
        *,
        group: str | None = None,
        propagation: str = "Background",
    ) -> dict[str, Any] | None:
        """Delete as a DELETE request would; returns the object if it is still there
        (held by finalizers), else ``None``."""
        k = self._kind(kind, group)
        with self.cluster.store.lock, _as_client_errors("DELETE", k, name):
            self.cluster.begin_delete(k, self.cluster.require(k, namespace, name), propagation)
        return self.get_object(kind, name, namespace, group=k.group)

    # -- watches -------------------------------------------------------------------------------
    @property
    def resource_version(self) -> str:
        """The newest resourceVersion (what a list would answer now)."""
        return str(self.cluster.store.rv)

    @property
    def open_watches(self) -> int:
        return len(self.cluster.store.watchers())

    def expire_history(self, *, end_watches: bool = True) -> None:
        """Compact the event history: watches from any earlier resourceVersion get 410.
        With ``end_watches`` the open watches end with an ``ERROR`` 410 event too (as when
        the watch cache drops them), so every watcher has to relist."""
        store = self.cluster.store
        with store.lock:
            store.expire()
            if end_watches:
                error = expired(f"too old resource version: {store.rv}").body()
                for watcher in store.watchers():
                    watcher.end(error)

    def end_watches(self) -> None:
        """End every open watch cleanly, as an API server restart does: clients resume from
        the last resourceVersion they saw (no relist, the history is kept)."""
        store = self.cluster.store
        with store.lock:
            for watcher in store.watchers():
                watcher.end()

    def lag_watches(self, kind: str, seconds: float) -> None:
        """Watches of ``kind`` opened from now on deliver each event ``seconds`` after its
        write (a loaded watch cache trailing the answers of the writes)."""
        self._router.watch_lag[kind] = seconds

    def bookmark(self) -> None:
        """Send a BOOKMARK at the current resourceVersion to every watch that allows them."""
        store = self.cluster.store
        with store.lock:
            for watcher in store.watchers():
                watcher.bookmark(store.rv)

    # -- request log and faults ----------------------------------------------------------------
    @property
    def requests(self) -> list[RequestRecord]:
        with self._log_lock:
            return list(self._log)

    def count(
        self, method: str | None = None, path: str | None = None, *, watch: bool | None = None
    ) -> int:
        """How many logged requests match (``path`` exact; ``None`` matches anything)."""
        return sum(
            1
            for r in self.requests
            if (method is None or r.method == method.upper())
            and (path is None or r.path == path)
            and (watch is None or r.watch == watch)
        )

    def clear_requests(self) -> None:
        with self._log_lock:
            self._log.clear()

    def fail(
        self,
        path: str,
        code: int = 500,
        *,
        times: int = 1,
        method: str | None = None,
        message: str = "",
        retry_after: float | None = None,
    ) -> None:
        """Answer the next ``times`` requests to ``path`` (an ``fnmatch`` pattern) with
        ``code`` and a Status body (``Retry-After`` when ``retry_after`` is given)."""
        self._faults.add(Fault(path, code, times, method, message, retry_after))
