"""Argo CD for bench/peers.py: the binary of ``make bench-peers`` run as its three roles beside
a fresh local cluster, the way upstream's Procfile runs it for development.

One binary, the role from ``ARGOCD_BINARY_NAME``; ``ARGOCD_FAKE_IN_CLUSTER=true`` with the
cluster's kubeconfig makes the in-cluster destination (``https://kubernetes.default.svc``) the
local cluster; TLS/SSH/GnuPG data in temp dirs, GnuPG off; Debian's ``redis-server`` on
loopback. The repo-server shells out to ``git-verify-wrapper.sh`` and ``gpg-wrapper.sh`` (the
module's ``hack/``), which must be on PATH or every manifest generation fails with "permission
denied". CRDs and the base config (argocd-cm, argocd-rbac-cm, argocd-secret, ...) come from
the module's ``manifests/``; argocd-cm gets the same Ingress health override as Kapstan's run.
The memory and CPU counted are the controller's, the repo-server's (with its git children) and
redis's: what reconciles. argocd-server (API and UI, and the Git webhook endpoint, like
``kapstan server`` in Kapstan's run) runs but is not counted.
"""

from __future__ import annotations

import json
import shutil
from typing import Any

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
)
from peers_common import wait_http as wait

from kapstan.localcluster.peers_build import builds

NS = "argocd"
APPS = f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/applications"
# The scale tuning of Argo CD's high-availability guide ("for 1000 applications we use 50 /
# 25") and a higher client QPS/burst (the AWS scale test's largest gain).
TUNED_ARGS = ["--status-processors", "50", "--operation-processors", "25"]
TUNED_ENV = {"ARGOCD_K8S_CLIENT_QPS": "100", "ARGOCD_K8S_CLIENT_BURST": "200"}


def _secret(name: str, data: dict[str, str], kind: str = "") -> dict[str, Any]:
    labels = {"argocd.argoproj.io/secret-type": kind} if kind else {}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": NS, "labels": labels},
        "stringData": data,
    }


def setup(ctx: Context, tuned: bool = False) -> Deployed:
    build = builds(["argocd"])[0]
    if not build.is_built():
        raise RuntimeError("Argo CD is not built: run `make bench-peers`")
    mod = build.module_dir
    ctx.namespace(NS)
    ctx.namespace(BENCH_NS)
    crds = mod / "manifests" / "crds"
    ctx.apply_files(
        *(crds / f"{k}-crd.yaml" for k in ("application", "appproject", "applicationset"))
    )
    config = sorted((mod / "manifests" / "base" / "config").glob("argocd-*.yaml"))
    ctx.kubectl("apply", "-n", NS, *(a for f in config for a in ("-f", str(f))))
    health = {"resource.customizations.health.networking.k8s.io_Ingress": INGRESS_HEALTH}
    patch = json.dumps({"data": health})
    ctx.kubectl("patch", "-n", NS, "configmap", "argocd-cm", "--type=merge", "-p", patch)
    ctx.post(
        f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/appprojects",
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AppProject",
            "metadata": {"name": "default", "namespace": NS},
            "spec": {
                "sourceRepos": ["*"],
                "destinations": [{"server": "*", "namespace": "*"}],
                "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
            },
        },
    )
    creds = {"type": "git", "url": ctx.repo_url, "username": GIT_USER, "password": GIT_PASSWORD}
    ctx.post(f"/api/v1/namespaces/{NS}/secrets", _secret("repo-apps", creds, "repository"))

    tools = ctx.root / "argocd-path"
    tools.mkdir()
    for script in ("git-verify-wrapper.sh", "gpg-wrapper.sh"):
        shutil.copyfile(mod / "hack" / script, tools / script)
        (tools / script).chmod(0o755)
    dirs = {}
    for key in ("ARGOCD_TLS_DATA_PATH", "ARGOCD_SSH_DATA_PATH", "ARGOCD_GNUPGHOME"):
        d = ctx.root / key.lower()
        d.mkdir(mode=0o700)
        dirs[key] = str(d)
    env = base_env(
        ctx.root,
        ARGOCD_FAKE_IN_CLUSTER="true",
        KUBECONFIG=str(ctx.cluster.kubeconfig),
        ARGOCD_GPG_ENABLED="false",
        **dirs,
    )
    # The binary also answers git's credential prompts (GIT_ASKPASS=argocd, run by name).
    env["PATH"] = f"{tools}:{build.binary.parent}:{env['PATH']}"
    argocd = str(build.binary)

    redis_port = port()
    redis = ctx.start(
        "redis",
        ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no"],
        base_env(ctx.root),
    )  # fmt: skip
    redis_addr = f"127.0.0.1:{redis_port}"
    repo_port, repo_metrics = port(), port()
    repo = ctx.start(
        "argocd-repo-server",
        [argocd, "--port", str(repo_port), "--metrics-port", str(repo_metrics),
         "--redis", redis_addr],
        {**env, "ARGOCD_BINARY_NAME": "argocd-repo-server"},
    )  # fmt: skip
    wait(f"http://127.0.0.1:{repo_metrics}/healthz", repo, ctx.log(repo.name))
    ctl_metrics = port()
    ctl_env = {**env, "ARGOCD_BINARY_NAME": "argocd-application-controller"}
    if tuned:
        ctl_env.update(TUNED_ENV)
    ctl = ctx.start(
        "argocd-application-controller",
        [argocd, "--namespace", NS, "--redis", redis_addr,
         "--repo-server", f"127.0.0.1:{repo_port}", "--metrics-port", str(ctl_metrics),
         # as upstream's Procfile runs it locally (no commit-server to hydrate with)
         "--server-side-diff-enabled=false", "--hydrator-enabled=false",
         *(TUNED_ARGS if tuned else [])],
        ctl_env,
    )  # fmt: skip
    wait(f"http://127.0.0.1:{ctl_metrics}/metrics", ctl, ctx.log(ctl.name))
    srv_port, srv_metrics = port(), port()
    srv = ctx.start(
        "argocd-server",
        [argocd, "--namespace", NS, "--insecure", "--port", str(srv_port),
         "--metrics-port", str(srv_metrics), "--redis", redis_addr,
         "--repo-server", f"127.0.0.1:{repo_port}", "--dex-server", "http://127.0.0.1:1",
         "--hydrator-enabled=false"],
        {**env, "ARGOCD_BINARY_NAME": "argocd-server"},
    )  # fmt: skip
    wait(f"http://127.0.0.1:{srv_port}/healthz", srv, ctx.log(srv.name))

    def notify(push: Push) -> None:
        deliver_github(f"http://127.0.0.1:{srv_port}/api/webhook", github_push(ctx.repo_url, push))

    apps = ctx.applications()
    note = "controller + repo-server + redis"
    if tuned:
        note += f"; {' '.join(TUNED_ARGS)}, client QPS/burst 100/200"
    label = f"Argo CD {build.spec.version}" + (" tuned" if tuned else " defaults")
    return Deployed(
        label=label,
        counted=[ctl, repo, redis],
        creates=[Call(APPS, a) for a in apps],
        watch=APPS,
        ready=ok,
        expected=ctx.n,
        note=note,
        notify=notify,
        notify_note="GitHub push event to argocd-server /api/webhook",
        # The repo-server caches a repository's refs (ls-remote) for --revision-cache-expiration
        # (3m): a poll within that time of the last resolution sees the old commit.
        poll_note="120 s + up to 60 s jitter, refs cached 3m in the repo-server (its defaults)",
    )
