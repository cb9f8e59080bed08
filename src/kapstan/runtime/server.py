"""Composition root of ``kapstan server``: the API (Argo CD's ``/api/v1``) on one port.

Contract of :func:`run_server`:

- connects with the kubeconfig, starts the watched settings (argocd-cm, argocd-secret,
  argocd-rbac-cm…: changes apply without a restart) and the mirror of Applications and
  AppProjects, bootstraps security (``server.secretkey``, the initial admin password — see
  :mod:`kapstan.runtime.security`), then serves until ``stop`` is set;
- TLS unless ``insecure``: the certificate of :func:`kapstan.runtime.tls.server_certificate`
  (generated into ``argocd-secret`` when none is configured, as Argo CD);
- live resources, logs and actions reach the destination clusters through
  :class:`~kapstan.services.clusterclients.ClusterClients` (cluster Secrets read on demand);
  manifests and revision metadata come from the server's own
  :class:`~kapstan.services.manifests.ManifestGenerator` (the repo-server role);
- where comparison snapshots (resource trees, managed resources) come from:
  ``with_controller`` runs the controller in this process, sharing the Kubernetes client, the
  watched settings and an in-memory snapshot store (one-process mode); otherwise ``redis``
  (``--redis``, ``$REDIS_SERVER`` or argocd-cmd-params-cm ``redis.server``) is read, where
  ``kapstan controller --redis`` publishes (split mode; any number of API replicas); with
  neither, those views answer Unavailable with what to do;
- a logout (``DELETE /api/v1/session``) revokes its token: with Redis, in every replica
  within seconds (:class:`~kapstan.services.revocations.RedisRevocations`), else in this
  process; with Redis the login throttle's failure counts are shared between replicas too;
- ``static_assets`` (a UI build such as Argo CD's ``ui/dist/app``) is served on the paths that
  are not the API's (:mod:`kapstan.api.static`); a directory without ``index.html`` raises
  :class:`~kapstan.api.static.UiAssetsError` before anything starts; without it, Kapstan's
  own UI (built from ``web/`` into the package) is served when it is built;
- ``/api/dex/*`` is proxied to ``dex_server`` (``kapstan dex``), which is also where the
  SSO login reaches Dex when argocd-cm has ``dex.config`` and no ``oidc.config``; with
  ``dex_binary`` (``--with-dex``) this process runs Dex itself there, as ``kapstan dex``
  would (:class:`~kapstan.services.auth.dex.runner.DexRunner`), and stops it on the way out;
- ``application_namespaces`` (``--application-namespaces``) overrides argocd-cmd-params-cm's
  ``application.namespaces``: the other namespaces whose Applications webhooks refresh;
- a port already taken raises ``OSError`` naming it; ``port`` 0 picks a free one;
- everything it opened is closed on the way out; ``on_ready`` (tests) receives the bound
  ``(host, port)`` once the server accepts connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import uvicorn

from kapstan.api.app import create_app
from kapstan.api.context import AdminOptions, ApiContext
from kapstan.api.static import UiAssets, bundled_ui
from kapstan.kube.client import KubeClient
from kapstan.kube.config import ClusterConfig, load_kubeconfig
from kapstan.paths import cache_root
from kapstan.runtime.controller import ControllerOptions, run_controller, settings_overrides
from kapstan.runtime.security import build_security
from kapstan.runtime.serving import QuietServer, listen
from kapstan.runtime.tls import server_certificate, write_pair
from kapstan.services.applications import Applications
from kapstan.services.auth.dex.runner import DexOptions, DexRunner
from kapstan.services.auth.dex.sources import read_rendered
from kapstan.services.auth.store import AuthStore
from kapstan.services.clusterclients import ClusterClients
from kapstan.services.images.trigger import on_registry_push
from kapstan.services.loginfailures import RedisLoginFailures
from kapstan.services.manifests import ManifestGenerator
from kapstan.services.mirror import Mirror
from kapstan.services.redissnapshots import RedisSnapshots, redis_settings
from kapstan.services.revocations import RedisRevocations, Revocations
from kapstan.services.snapshots import InMemorySnapshots, SnapshotStore, UnavailableSnapshots
from kapstan.services.tools import find_tools
from kapstan.services.watched import WatchedSettings
from kapstan.services.webhooks.namespaces import APP_NAMESPACES_KEY

log = logging.getLogger(__name__)
REDIS_PARAM = "redis.server"  # argocd-cmd-params-cm
REDIS_ENV, REDIS_PASSWORD_ENV = "REDIS_SERVER", "REDIS_PASSWORD"
DEFAULT_DEX_SERVER = "http://127.0.0.1:5556"  # where `kapstan dex` listens by default
SHUTDOWN_GRACE = 3.0  # seconds open streams get before the server closes them


@dataclass(frozen=True)
class ServerOptions:
    """What ``kapstan server``'s flags say."""

    kubeconfig: Path | None = None
    namespace: str = "argocd"
    address: str = "127.0.0.1"
    port: int = 8080
    insecure: bool = False
    redis: str | None = None
    redis_password: str | None = field(default=None, repr=False)
    with_controller: bool = False
    controller: ControllerOptions | None = None  # with_controller: the controller's flags
    static_assets: Path | None = None  # --staticassets: a web UI build (Argo CD's ui/dist/app)
    base_href: str = "/"  # --basehref: index.html's <base href> behind a path-stripping proxy
    dex_server: str = DEFAULT_DEX_SERVER  # --dex-server: `kapstan dex`'s address ("" = off)
    dex_binary: Path | None = None  # --with-dex: run Dex in this process at dex_server
    # --application-namespaces: argocd-cmd-params-cm application.namespaces (None: the CM's)
    application_namespaces: str | None = None


async def run_server(
    options: ServerOptions,
    stop: asyncio.Event,
    *,
    config: ClusterConfig | None = None,
    on_ready: Callable[[str, int], None] | None = None,
) -> None:
    """Serve the API until ``stop`` is set (see the module contract)."""
    ui = (
        UiAssets(options.static_assets, options.base_href)
        if options.static_assets
        else bundled_ui(options.base_href)
    )
    async with contextlib.AsyncExitStack() as stack:
        kube = await stack.enter_async_context(
            KubeClient(config or load_kubeconfig(options.kubeconfig))
        )
        controller = options.controller or ControllerOptions(namespace=options.namespace)
        overrides = settings_overrides(controller) if options.with_controller else {}
        if options.application_namespaces is not None:
            overrides[APP_NAMESPACES_KEY] = options.application_namespaces
        watched = WatchedSettings(kube, options.namespace, overrides=overrides)
        await watched.start()
        stack.push_async_callback(watched.stop)
        snapshots = _snapshot_store(options, watched, stack)
        mirror = Mirror(kube, options.namespace)
        await mirror.start()
        stack.push_async_callback(mirror.stop)
        revocations, failures = _shared_auth(options, watched, stack)
        security = await build_security(
            kube, watched, mirror, options.namespace, revocations, failures, options.dex_server
        )
        stack.push_async_callback(security.close)
        clusters = ClusterClients(kube, options.namespace)
        stack.push_async_callback(clusters.aclose)
        ctx = ApiContext(
            namespace=options.namespace,
            kube=kube,
            mirror=mirror,
            applications=Applications(kube, options.namespace),
            snapshots=snapshots,
            settings=lambda: watched.current,
            authn=security.auth,
            authz=security.rbac,
            sessions=security.auth,
            auth=security.service,
            admin=AdminOptions(work_dir=cache_root() / "server" / "repositories"),
            clusters=clusters,
            manifests=_manifests(options, watched),
            ui=ui,
            dex_server=options.dex_server,
        )
        # A registry push asks the controller's image loop (wherever it runs) for a check.
        stack.callback(ctx.registry_pushes.subscribe(on_registry_push(kube, options.namespace)))
        ssl = await _tls(options, kube, stack)
        sock = listen(options.address, options.port)
        stack.callback(sock.close)
        server = QuietServer(
            uvicorn.Config(
                create_app(ctx),
                lifespan="off",
                access_log=False,
                log_config=None,
                timeout_graceful_shutdown=int(SHUTDOWN_GRACE),
                **ssl,  # type: ignore[arg-type]
            )
        )
        tasks = [asyncio.create_task(server.serve(sockets=[sock]), name="api")]
        if isinstance(revocations, RedisRevocations):
            tasks.append(asyncio.create_task(revocations.run(stop), name="revocations"))
        if options.dex_binary is not None:
            tasks.append(asyncio.create_task(_run_dex(options, kube, stop), name="dex"))
        if options.with_controller:
            one_process = run_controller(
                controller, stop, snapshots=snapshots, kube=kube, watched=watched
            )
            tasks.append(asyncio.create_task(one_process, name="controller"))
        await _wait_started(server, tasks[0])
        host, port = sock.getsockname()[:2]
        log.info(
            "serving the API on %s://%s:%d", "http" if options.insecure else "https", host, port
        )
        if on_ready is not None:
            on_ready(host, port)
        await _until_stopped(stop, server, tasks)


async def _run_dex(options: ServerOptions, kube: KubeClient, stop: asyncio.Event) -> None:
    """Dex at ``dex_server``'s host and port, from the cluster's dex.config, until ``stop``."""
    assert options.dex_binary is not None
    where = urlsplit(options.dex_server)
    if where.scheme != "http" or not where.hostname or not where.port:
        raise OSError(f"--with-dex needs --dex-server http://HOST:PORT, not {options.dex_server!r}")
    store = AuthStore(kube, options.namespace)
    runner = DexRunner(
        DexOptions(binary=options.dex_binary, address=where.hostname, port=where.port),
        lambda http: read_rendered(store, http=http),
    )
    await runner.run(stop)


def _manifests(options: ServerOptions, watched: WatchedSettings) -> ManifestGenerator:
    """The repo-server role of the API (manifests and revision metadata of a revision the
    controller may not have rendered); its own cache, so it never races the controller's."""
    tools = options.controller or ControllerOptions()
    lookup = find_tools({"helm": tools.helm_path, "kustomize": tools.kustomize_path})
    return ManifestGenerator(
        cache_root=cache_root() / "server" / "manifests",
        tools=lookup.apply(),
        repositories=lambda: watched.current.repositories,
    )


def _shared_auth(
    options: ServerOptions, watched: WatchedSettings, stack: contextlib.AsyncExitStack
) -> tuple[Revocations, RedisLoginFailures | None]:
    """Logouts and login failures: shared through the split mode's Redis, else this
    process's own."""
    address, password = redis_settings(
        options.redis, watched.current.params, options.redis_password
    )
    if not address:
        return Revocations(), None
    revocations = RedisRevocations(address, password, namespace=options.namespace)
    stack.push_async_callback(revocations.close)
    failures = RedisLoginFailures(address, password, options.namespace)
    stack.push_async_callback(failures.close)
    return revocations, failures


def _snapshot_store(
    options: ServerOptions, watched: WatchedSettings, stack: contextlib.AsyncExitStack
) -> SnapshotStore:
    if options.with_controller:
        return InMemorySnapshots()
    address, password = redis_settings(
        options.redis, watched.current.params, options.redis_password
    )
    if address:
        remote = RedisSnapshots(address, password)
        stack.push_async_callback(remote.close)
        log.info("reading comparison snapshots from redis %s", remote.address)
        return remote
    log.warning(
        "no snapshot source: resource trees and managed resources are unavailable; "
        "run `kapstan server --with-controller`, or give both processes --redis"
    )
    return UnavailableSnapshots()


async def _tls(
    options: ServerOptions, kube: KubeClient, stack: contextlib.AsyncExitStack
) -> dict[str, str]:
    if options.insecure:
        return {}
    pair = await server_certificate(kube, options.namespace, (options.address,))
    cert, key = write_pair(pair)
    stack.callback(shutil.rmtree, cert.parent, True)
    return {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}


async def _until_stopped(
    stop: asyncio.Event, server: uvicorn.Server, tasks: list[asyncio.Task[None]]
) -> None:
    """Wait for ``stop`` or for a task to end (the controller failing stops the server too),
    then stop everything and raise the first failure."""
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait([stopping, *tasks], return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    stop.set()
    stopping.cancel()
    for result in await asyncio.gather(*tasks, return_exceptions=True):
        if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
            raise result


async def _wait_started(server: uvicorn.Server, serving: asyncio.Task[None]) -> None:
    while not server.started:
        if serving.done():
            serving.result()  # raises what stopped it
            raise OSError("the API server stopped while starting")
        await asyncio.sleep(0.02)


__all__ = ["ServerOptions", "run_server"]
