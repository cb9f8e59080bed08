"""Kapstan for bench/peers.py: ``kapstan install`` and ``kapstan controller`` (as
bench/controller_bench.py runs it), against the same HTTP repository as the peers, with the
repository's credentials in an Argo CD repository Secret and the same Ingress health override
in argocd-cm (tuned: argocd-cmd-params-cm :data:`TUNED_PARAMS`, or those of
``--kapstan-param``). Counted: the controller process with its git children. ``kapstan server`` (the
API, which takes Git webhooks on ``/api/webhook``) runs beside it for the scenarios after the
cold deploy, not counted (as argocd-server is not counted for Argo CD).
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from controller_bench import INGRESS_HEALTH, ok
from peers_common import (
    BENCH_NS,
    GIT_PASSWORD,
    GIT_USER,
    Call,
    Context,
    Deployed,
    Push,
    base_env,
    deliver_github,
    github_push,
    port,
    wait_http,
)

from kapstan.demo.children import controller_argv, install, kapstan_argv
from kapstan.kube.client import KubeClient
from kapstan.kube.config import load_kubeconfig
from kapstan.kube.errors import NotFound

NS = "argocd"
# docs/controller.md "Scale and readiness": with many apps, polls that change nothing need
# not write status.reconciledAt each time.
TUNED_PARAMS = {"controller.reconciledat.interval": "1h"}
APPS = f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/applications"
CRD = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/applications.argoproj.io"
PROJECT = f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/appprojects/default"


async def _installed(ctx: Context, timeout: float = 120) -> None:
    async with KubeClient(load_kubeconfig(ctx.cluster.kubeconfig)) as kube:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(NotFound):
                crd = await kube.get(CRD)
                conds = (crd.get("status") or {}).get("conditions") or []
                if any(c.get("type") == "Established" and c["status"] == "True" for c in conds):
                    await kube.get(PROJECT)
                    return
            await asyncio.sleep(0.2)
    raise RuntimeError("no Application CRD and default AppProject after `kapstan install`")


def _tuned_label(params: dict[str, str]) -> str:
    if params == TUNED_PARAMS:
        return "Kapstan tuned"
    return "Kapstan (" + ", ".join(f"`{k}: {v}`" for k, v in params.items()) + ")"


def setup(ctx: Context, tuned: bool = False) -> Deployed:
    install(ctx.cluster.kubeconfig, NS)  # CRDs, namespace, default project
    asyncio.run(_installed(ctx))
    ctx.namespace(BENCH_NS)
    health = {"resource.customizations.health.networking.k8s.io_Ingress": INGRESS_HEALTH}
    ctx.post(
        f"/api/v1/namespaces/{NS}/configmaps",
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-cm", "namespace": NS},
            "data": health,
        },
    )
    ctx.post(
        f"/api/v1/namespaces/{NS}/secrets",
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": "repo-apps",
                "namespace": NS,
                "labels": {"argocd.argoproj.io/secret-type": "repository"},
            },
            "stringData": {"url": ctx.repo_url, "username": GIT_USER, "password": GIT_PASSWORD},
        },
    )
    params = ctx.kapstan_params or TUNED_PARAMS
    if tuned:
        ctx.post(
            f"/api/v1/namespaces/{NS}/configmaps",
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "argocd-cmd-params-cm", "namespace": NS},
                "data": params,
            },
        )
    argv = controller_argv(ctx.cluster.kubeconfig, NS, ctx.root / "kapstan-cache", 180)
    metrics = port()
    argv += ["--metrics-port", str(metrics), "--metrics-address", "127.0.0.1"]
    ctl = ctx.start("kapstan-controller", argv, base_env(ctx.root))
    # Ready (caches started, Applications listed) as the peers' readiness endpoints say.
    wait_http(f"http://127.0.0.1:{metrics}/healthz", ctl, ctx.log(ctl.name))
    srv_port = port()
    srv = ctx.start(
        "kapstan-server",
        kapstan_argv("server", "--kubeconfig", str(ctx.cluster.kubeconfig), "--namespace", NS,
                     "--address", "127.0.0.1", "--port", str(srv_port), "--insecure"),
        base_env(ctx.root),
    )  # fmt: skip
    wait_http(f"http://127.0.0.1:{srv_port}/healthz", srv, ctx.log(srv.name))

    def notify(push: Push) -> None:
        deliver_github(f"http://127.0.0.1:{srv_port}/api/webhook", github_push(ctx.repo_url, push))

    apps = ctx.applications()
    return Deployed(
        label=_tuned_label(params) if tuned else "Kapstan",
        counted=[ctl],
        creates=[Call(APPS, a) for a in apps],
        watch=APPS,
        ready=ok,
        expected=ctx.n,
        note="kapstan controller (+ git children)"
        + (f"; argocd-cmd-params-cm {params}" if tuned else ""),
        notify=notify,
        notify_note="GitHub push event to `kapstan server` /api/webhook",
        poll_note="180 s (`--app-resync 180`, no jitter)",
    )
