"""The API server in-process on :class:`~kapstan.testing.fakekube.FakeKube`, for fast route
tests: real routes, real uvicorn on a loopback port (streams need a real socket), stand-in
security where a test wants to choose who may do what.

The proof that a user's setting reaches the running ``kapstan server`` lives in the
integration tests (``tests/integration/api``); these tests pin the routes' shapes and rules.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx2
import uvicorn

from kapstan.api.app import create_app
from kapstan.api.context import AdminOptions, ApiContext
from kapstan.api.errors import ApiError, unauthenticated
from kapstan.api.security import Principal
from kapstan.kube.client import KubeClient
from kapstan.kube.config import ClusterConfig
from kapstan.runtime.serving import QuietServer, listen
from kapstan.services.applications import Applications
from kapstan.services.clusterclients import ClusterClients
from kapstan.services.manifests import ManifestService
from kapstan.services.mirror import Mirror
from kapstan.services.snapshots import InMemorySnapshots, SnapshotStore
from kapstan.services.watched import WatchedSettings
from kapstan.testing.fakekube import FakeKube, fake_client
from kapstan.testing.fakes import install_into


@dataclass(frozen=True)
class User:
    """A :class:`~kapstan.api.security.Principal` for tests."""

    username: str
    groups: Sequence[str] = ()
    issued_at: datetime | None = None

    @property
    def subjects(self) -> Sequence[str]:
        return [self.username, *self.groups]


Rule = tuple[str, str, str, str]  # (subject, resource glob, action glob, object glob)


@dataclass
class Rules:
    """An :class:`~kapstan.api.security.Authorizer` of allow rules (no deny, no roles):
    enough to pin what a route asks; the real RBAC engine has its own tests."""

    allow: list[Rule] = field(default_factory=lambda: [("admin", "*", "*", "*")])
    asked: list[tuple[str, str, str, str]] = field(default_factory=list)

    def allowed(self, principal: Principal, resource: str, action: str, obj: str) -> bool:
        self.asked.append((principal.username, resource, action, obj))
        return any(
            sub in principal.subjects
            and fnmatch.fnmatchcase(resource, res)
            and fnmatch.fnmatchcase(action, act)
            and fnmatch.fnmatchcase(obj, ob)
            for sub, res, act, ob in self.allow
        )


@dataclass
class Tokens:
    """An :class:`~kapstan.api.security.Authenticator` and session service of fixed tokens:
    ``token-<user>`` is ``<user>``; ``login(u, p)`` succeeds when ``p == "pw-" + u``."""

    users: dict[str, User] = field(default_factory=dict)
    anonymous_user: User | None = None
    revoked: set[str] = field(default_factory=set)

    def verify(self, token: str) -> Principal:
        user = self.users.get(token.removeprefix("token-")) if token.startswith("token-") else None
        if user is None or token in self.revoked:
            raise unauthenticated("invalid session: token is not valid")
        return user

    def anonymous(self) -> Principal | None:
        return self.anonymous_user

    async def login(self, username: str, password: str) -> str:
        if username not in self.users or password != f"pw-{username}":
            raise ApiError(16, "Invalid username or password")  # type: ignore[arg-type]
        return f"token-{username}"

    def duration(self) -> float:
        return 3600.0

    async def logout(self, token: str) -> None:
        self.revoked.add(token)


def bearer(user: str) -> dict[str, str]:
    """Headers of a request made as ``user`` (see :class:`Tokens`)."""
    return {"Authorization": f"Bearer token-{user}"}


@dataclass
class ApiHarness:
    http: httpx2.AsyncClient
    ctx: ApiContext
    fake: FakeKube
    rules: Rules
    tokens: Tokens
    base_url: str


@contextlib.asynccontextmanager
async def api_on(
    fake: FakeKube,
    *,
    namespace: str = "argocd",
    users: Sequence[str] = ("admin", "alice", "bob"),
    rules: Rules | None = None,
    snapshots: SnapshotStore | None = None,
    customize: Callable[[ApiContext], None] | None = None,
    clusters: Mapping[str, FakeKube] | None = None,
    manifests: ManifestService | None = None,
) -> AsyncIterator[ApiHarness]:
    """The API over ``fake`` on ``127.0.0.1:<free port>`` until the block ends. Requests are
    anonymous unless they carry :func:`bearer` headers. Destinations other than the in-cluster
    one are the ``clusters`` fakes, by server URL (their cluster Secrets are the test's to
    put into ``fake``); ``manifests`` is the repo-server role (none by default)."""
    install_into(fake, namespace)
    rules = rules or Rules()
    tokens = Tokens({u: User(u) for u in users})
    async with contextlib.AsyncExitStack() as stack:
        kube = await stack.enter_async_context(fake_client(fake))
        watched = WatchedSettings(kube, namespace)
        await watched.start()
        stack.push_async_callback(watched.stop)
        work = Path(tempfile.mkdtemp(prefix="kapstan-api-"))
        stack.callback(shutil.rmtree, work, True)
        mirror = Mirror(kube, namespace)
        await mirror.start()
        stack.push_async_callback(mirror.stop)
        remote = dict(clusters or {})

        def connect(config: ClusterConfig) -> KubeClient:
            if config.server not in remote:
                raise LookupError(f"no fake cluster serves {config.server}")
            return KubeClient(config, qps=0.0, transport=remote[config.server].transport())

        destinations = ClusterClients(kube, namespace, connect=connect)
        stack.push_async_callback(destinations.aclose)
        ctx = ApiContext(
            namespace=namespace,
            kube=kube,
            mirror=mirror,
            applications=Applications(kube, namespace),
            snapshots=snapshots if snapshots is not None else InMemorySnapshots(),
            settings=lambda: watched.current,
            authn=tokens,
            authz=rules,
            sessions=tokens,
            admin=AdminOptions(work_dir=work, timeout=20.0),
            clusters=destinations,
            manifests=manifests,
        )
        if customize is not None:
            customize(ctx)
        sock = listen("127.0.0.1", 0)
        stack.callback(sock.close)
        server = QuietServer(
            uvicorn.Config(
                create_app(ctx), lifespan="off", access_log=False, log_config=None,
                timeout_graceful_shutdown=1,
            )
        )  # fmt: skip
        serving = asyncio.create_task(server.serve(sockets=[sock]))

        async def stop() -> None:
            server.should_exit = True
            await asyncio.wait_for(serving, 10)

        stack.push_async_callback(stop)
        while not server.started:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.01)
        host, port = sock.getsockname()[:2]
        base = f"http://{host}:{port}"
        http = await stack.enter_async_context(httpx2.AsyncClient(base_url=base, timeout=10))
        yield ApiHarness(http, ctx, fake, rules, tokens, base)


__all__ = ["ApiHarness", "Rules", "Tokens", "User", "api_on", "bearer"]
