"""FakeKube: an in-memory Kubernetes API server for fast unit tests.

The fake is reached through an ``httpx2`` transport, so the whole real stack runs on it
unchanged: :class:`~kapstan.kube.client.KubeClient` (paging, watch streaming, retries),
:class:`~kapstan.kube.discovery.Discovery`, :class:`~kapstan.kube.apply.Writer`, the cache's
reflectors and :class:`~kapstan.cache.cluster.ClusterCache`::

    fake = FakeKube()
    fake.put({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}})
    async with fake_client(fake) as kube:
        await kube.get("/api/v1/namespaces/default/configmaps/a")

Exact (answered as kube-apiserver answers, Status bodies included):

- paths, verbs and status codes: 404 NotFound, 409 AlreadyExists / Conflict (stale
  ``resourceVersion``, delete preconditions, apply conflicts with ``FieldManagerConflict``
  causes), 422 Invalid (with ``causes``; a failed JSON patch ``test``), 410 Expired, 415 for a
  strategic merge patch of a custom resource, 400 for malformed requests;
- aggregated discovery (``apidiscovery.k8s.io/v2``) and legacy discovery, preferred version
  first; a CRD written through the API is Established and served at once;
- one global resourceVersion; uid, creationTimestamp; ``generation`` bumped on changes
  outside ``metadata``/``status``; no-op writes keep the resourceVersion and emit nothing;
- ``status`` subresource semantics for the kinds that have one (built-ins per kube; CRDs per
  ``subresources.status``, decided per kind rather than per version);
- list: label selectors (full syntax), field selectors (``metadata.name``/``namespace`` and a
  few kind-specific fields), ``limit``/``continue``, list resourceVersion;
- watch: ADDED/MODIFIED/DELETED/BOOKMARK as newline-delimited JSON, from a resourceVersion
  out of a bounded history (too old: an ERROR event with a 410 Expired Status, as the watch
  cache answers), selector transitions as ADDED/DELETED, ``timeoutSeconds``;
- JSON merge patch (RFC 7386) and JSON patch (RFC 6902);
- finalizers: ``deletionTimestamp`` is set and the object stays until its finalizers are
  gone; no new finalizers on a deleting object; ``dryRun=All`` everywhere.

Approximated (documented where implemented):

- server-side apply (:mod:`~kapstan.testing.fakekube.apply`): managedFields per manager and
  operation with fieldsV1 leaf sets, conflicts, force, removal of fields no longer applied,
  but list semantics come from a fixed table, not OpenAPI schemas
  (:mod:`~kapstan.testing.fakekube.fieldpaths`);
- strategic merge patch (:mod:`~kapstan.testing.fakekube.patch`): keyed lists from the same
  table, common directives only;
- validation (:mod:`~kapstan.testing.fakekube.validation`): names, labels, annotations,
  ConfigMap/Secret data, CRD names; unknown fields only at the top level and in metadata;
  no defaulting beyond Namespaces (no ``protocol: TCP`` and the like);
- controllers are synchronous stand-ins (:mod:`~kapstan.testing.fakekube.cluster`): namespace
  deletion removes the content in the same request; CRD deletion removes its instances;
  ownerReference cascades for Background/Foreground/Orphan, without a ``foregroundDeletion``
  stage. Nothing else runs: Deployments get no ReplicaSets, no Pods, no default
  ServiceAccount, no status;
- ``v1`` and ``events.k8s.io/v1`` Events are separate kinds (not two views of one object);
- continued list pages show current objects, not a snapshot; no conversion between versions
  (every version serves the same stored object, like a CRD with ``conversion: None``);
- no authentication or RBAC: every request is allowed.

Test hooks: :meth:`FakeKube.put`, :meth:`~FakeKube.objects`, :meth:`~FakeKube.get_object`,
:meth:`~FakeKube.edit` (another manager's update), :meth:`~FakeKube.delete`,
:meth:`~FakeKube.register`, :meth:`~FakeKube.expire_history`, :meth:`~FakeKube.end_watches`,
:meth:`~FakeKube.bookmark`, :attr:`~FakeKube.logs` (pod logs written by tests,
:mod:`~kapstan.testing.fakekube.logs`), :attr:`~FakeKube.requests` / :meth:`~FakeKube.count`,
:meth:`~FakeKube.fail` (fault injection). Not thread-safe beyond this: writes from another
thread are fine (a lock guards the state and watch events are handed to each watch's own
loop), but one client belongs to one event loop, as any ``httpx2`` client does.
"""

from kapstan.testing.fakekube.client import FAKE_SERVER, fake_client
from kapstan.testing.fakekube.fake import FakeKube
from kapstan.testing.fakekube.kinds import Kind
from kapstan.testing.fakekube.transport import FakeTransport, RequestRecord

__all__ = ["FAKE_SERVER", "FakeKube", "FakeTransport", "Kind", "RequestRecord", "fake_client"]
