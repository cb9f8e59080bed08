"""Objects and trees for the live-resource route tests: an app ``guestbook`` (project
``default``, destination namespace ``guestbook``) whose tree holds the objects a test put."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

from kapstan.engine.snapshot import resource_tree
from kapstan.services.snapshots import InMemorySnapshots, Snapshot
from kapstan.testing.api import ApiHarness, Rules, api_on
from kapstan.testing.fakekube import FakeKube
from kapstan.testing.fakes import install_into, until
from tests.unit.api.conftest import NS, app, project

APP_NS = "guestbook"


def deployment(name: str = "web", replicas: int = 2, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": APP_NS},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": "nginx"}]},
            },
            **spec,
        },
    }


def owned(obj: dict[str, Any], owner: Mapping[str, Any]) -> dict[str, Any]:
    """``obj`` with an ownerReference to ``owner`` (as stored: with its uid)."""
    meta = owner["metadata"]
    obj["metadata"]["ownerReferences"] = [
        {
            "apiVersion": owner["apiVersion"],
            "kind": owner["kind"],
            "name": meta["name"],
            "uid": meta["uid"],
        }
    ]
    return obj


def replica_set(name: str, owner: Mapping[str, Any]) -> dict[str, Any]:
    obj = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": name, "namespace": APP_NS},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}}},
    }
    return owned(obj, owner)


def pod(name: str, owner: Mapping[str, Any] | None = None, *containers: str) -> dict[str, Any]:
    obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": APP_NS},
        "spec": {"containers": [{"name": c, "image": "busybox"} for c in containers or ("main",)]},
    }
    return owned(obj, owner) if owner is not None else obj


def secret(name: str = "creds", **data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": APP_NS},
        "type": "Opaque",
        "data": data,
    }


def store(fake: FakeKube, *objects: dict[str, Any]) -> list[dict[str, Any]]:
    """Put ``objects`` (owners first) and return them as stored (uids set)."""
    return [fake.put(o) for o in objects]


async def publish(
    snapshots: InMemorySnapshots, objects: Iterable[Mapping[str, Any]], app: str = "guestbook"
) -> None:
    """Publish a snapshot whose tree holds ``objects`` for ``app``."""
    tree = resource_tree(objects)
    await snapshots.put(Snapshot.of(NS, app, "2024-01-01T00:00:00Z", "a" * 40, tree, ()))


RESOURCE = "/api/v1/applications/guestbook/resource"


def query(obj: Mapping[str, Any], **extra: str) -> dict[str, str]:
    """The ``.../resource`` query naming ``obj``."""
    group, _, version = str(obj["apiVersion"]).rpartition("/")
    out = {
        "namespace": obj["metadata"].get("namespace", ""),
        "resourceName": obj["metadata"]["name"],
        "version": version,
        "group": group,
        "kind": obj["kind"],
    }
    out.update(extra)
    return out


Build = Callable[[FakeKube], list[dict[str, Any]]]
Body = Callable[[ApiHarness, list[dict[str, Any]]], Awaitable[None]]


def serve(
    body: Body,
    objects: Sequence[dict[str, Any]] | Build = (),
    *,
    cm: Mapping[str, str] | None = None,
    project_spec: Mapping[str, Any] | None = None,
    rules: Rules | None = None,
    users: Sequence[str] = ("admin", "alice", "bob"),
    setup: Callable[[FakeKube], None] | None = None,
) -> None:
    """Run ``body(api, stored)`` against the API over a fake holding guestbook (destination
    namespace ``guestbook``; project ``strict`` with ``project_spec`` when given, else
    ``default``), argocd-cm ``cm`` and ``objects`` (or what ``objects(fake)`` stored), whose
    snapshot tree is those objects."""

    async def main() -> None:
        fake = FakeKube(namespaces=("default", NS, APP_NS))
        install_into(fake, NS)
        fake.put(project("team-a"))
        if setup is not None:
            setup(fake)
        project_name = "default"
        if project_spec is not None:
            project_name = "strict"
            fake.put({**project(project_name), "spec": dict(project_spec)})
        destination = {"server": "https://kubernetes.default.svc", "namespace": APP_NS}
        fake.put(app("guestbook", project_name, destination=destination))
        if cm:
            fake.put(
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": "argocd-cm", "namespace": NS},
                    "data": dict(cm),
                }
            )
        stored = objects(fake) if callable(objects) else store(fake, *objects)
        snapshots = InMemorySnapshots()
        await publish(snapshots, stored)
        async with api_on(fake, rules=rules, snapshots=snapshots, users=users) as api:
            await until("the app is mirrored", lambda: api.ctx.mirror.app("guestbook"))
            await until("the project is mirrored", lambda: api.ctx.mirror.project(project_name))
            await body(api, stored)

    asyncio.run(main())
