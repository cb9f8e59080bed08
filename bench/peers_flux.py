"""Flux for bench/peers.py: source-controller and kustomize-controller of ``make bench-peers``
run beside a fresh local cluster, with the CRDs of their modules (``config/crd/bases``).

The layout of Flux's own scale benchmark (fluxcd/flux-benchmark, "Kustomization" column): one
GitRepository (the same HTTP repository, basic auth through a Secret) and one Kustomization
per app directory (``path: ./app-<i>``, ``prune: true``, ``wait: true`` so that Ready means
the objects are healthy as kstatus sees them, ``targetNamespace: bench``). Leader election is
off (one replica each); the artifact storage is served on loopback. The clock starts with the
GitRepository's create; an app is done when its Kustomization is Ready=True with an applied
revision. Counted: both controllers. Tuned (``--tuned``): the controllers' ``--concurrent`` and
client QPS raised, and one GitRepository per app whose ``spec.sparseCheckout`` leaves only that
app's directory in its artifact, so a Kustomization no longer downloads and unpacks the whole
repository.

No notification-controller is built, so a Git push is told to Flux the way its Receiver passes
a webhook on: the GitRepository annotated ``reconcile.fluxcd.io/requestedAt: <now>``, which
makes source-controller fetch at once; kustomize-controller follows the new artifact. Without
it source-controller polls at the GitRepository's ``interval`` (1m). Drift of applied objects
is corrected only when a Kustomization reconciles (its ``interval``, 10m): kustomize-controller
does not watch them.
"""

from __future__ import annotations

import datetime
from typing import Any

from peers_common import (
    BENCH_NS,
    GIT_PASSWORD,
    GIT_USER,
    Call,
    Context,
    Deployed,
    Push,
    base_env,
    port,
)
from peers_common import wait_http as wait

from kapstan.localcluster.cluster import ClusterError
from kapstan.localcluster.peers_build import builds

NS = "flux-system"
SOURCES = f"/apis/source.toolkit.fluxcd.io/v1/namespaces/{NS}/gitrepositories"
KUSTOMIZATIONS = f"/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/{NS}/kustomizations"
# Flux's scale guidance: raise the controllers' --concurrent (flux-benchmark ran
# kustomize-controller at 20, source-controller at 10) and the client QPS/burst.
REQUESTED_AT = "reconcile.fluxcd.io/requestedAt"
TUNED = ["--concurrent=20", "--kube-api-qps=500", "--kube-api-burst=1000"]


def ready(obj: dict[str, Any]) -> bool:
    status = obj.get("status") or {}
    conds = status.get("conditions") or []
    return bool(status.get("lastAppliedRevision")) and any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in conds
    )


def kustomization(i: int, source: str = "apps") -> dict[str, Any]:
    return {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": f"app-{i:03d}", "namespace": NS},
        "spec": {
            "interval": "10m",
            "path": f"./app-{i:03d}",
            "prune": True,
            "wait": True,
            "timeout": "5m",
            "targetNamespace": BENCH_NS,
            "sourceRef": {"kind": "GitRepository", "name": source},
        },
    }


def setup(ctx: Context, tuned: bool = False) -> Deployed:
    source, kustomize = builds(["source-controller", "kustomize-controller"])
    for b in (source, kustomize):
        if not b.is_built():
            raise RuntimeError(f"{b.spec.name} is not built: run `make bench-peers`")
    ctx.namespace(NS)
    ctx.namespace(BENCH_NS)
    crds = [
        *sorted((source.module_dir / "config" / "crd" / "bases").glob("*.yaml")),
        *sorted((kustomize.module_dir / "config" / "crd" / "bases").glob("*.yaml")),
    ]
    ctx.apply_files(*crds)
    ctx.kubectl("wait", "--for=condition=Established", "crd", "--all", timeout=120)
    ctx.post(
        f"/api/v1/namespaces/{NS}/secrets",
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "apps-auth", "namespace": NS},
            "stringData": {"username": GIT_USER, "password": GIT_PASSWORD},
        },
    )
    env = base_env(ctx.root, KUBECONFIG=str(ctx.cluster.kubeconfig), RUNTIME_NAMESPACE=NS)
    extra = TUNED if tuned else []
    storage = ctx.root / "flux-storage"
    storage.mkdir()
    addr, metrics, health = f"127.0.0.1:{port()}", port(), port()
    src = ctx.start(
        "source-controller",
        [str(source.binary), "--watch-all-namespaces", f"--storage-path={storage}",
         f"--storage-addr={addr}", f"--storage-adv-addr={addr}",
         f"--metrics-addr=127.0.0.1:{metrics}", f"--health-addr=127.0.0.1:{health}",
         "--enable-leader-election=false", *extra],
        env,
    )  # fmt: skip
    wait(f"http://127.0.0.1:{health}/readyz", src, ctx.log(src.name))
    metrics, health = port(), port()
    kus = ctx.start(
        "kustomize-controller",
        [str(kustomize.binary), "--watch-all-namespaces",
         f"--metrics-addr=127.0.0.1:{metrics}", f"--health-addr=127.0.0.1:{health}",
         "--enable-leader-election=false", *extra],
        env,
    )  # fmt: skip
    wait(f"http://127.0.0.1:{health}/readyz", kus, ctx.log(kus.name))
    # Tuned: one source per app whose artifact holds only the app's directory (Flux's advice
    # for many Kustomizations of one repository), instead of one artifact of the whole repo
    # that every Kustomization downloads and unpacks.
    names = [f"app-{i:03d}" for i in range(ctx.n)] if tuned else ["apps"]
    sources = [git_repository(ctx, name, sparse=tuned) for name in names]

    def notify(_push: Push) -> None:
        """What notification-controller's Receiver does with a push: annotate the sources
        it lists (all of them: a Receiver cannot tell which apps a push changed)."""
        now = datetime.datetime.now(datetime.UTC).isoformat()
        for name in names:
            annotate(ctx, name, now)

    kustomizations = [kustomization(i, names[i] if tuned else "apps") for i in range(ctx.n)]
    creates = [
        *(Call(SOURCES, repo) for repo in sources),
        *(Call(KUSTOMIZATIONS, k) for k in kustomizations),
    ]
    version = source.spec.version
    return Deployed(
        label=f"Flux {version}" + (" tuned" if tuned else " defaults"),
        counted=[src, kus],
        creates=creates,
        watch=KUSTOMIZATIONS,
        ready=ready,
        expected=ctx.n,
        note="source-controller + kustomize-controller"
        + (
            f"; {' '.join(TUNED)}; one GitRepository per app (sparseCheckout of its directory)"
            if tuned
            else ""
        ),
        notify=notify,
        notify_note=f"{'all GitRepositories' if tuned else 'GitRepository'} annotated "
        f"`{REQUESTED_AT}` (as its Receiver does)",
        poll_note="1m (the GitRepository's interval)",
        drift_note="Flux corrects on its interval: 10m",
    )


def git_repository(ctx: Context, name: str, *, sparse: bool) -> dict[str, Any]:
    """The GitRepository ``name``; ``sparse``: checked out and archived with only the
    directory of that name (``spec.sparseCheckout``)."""
    spec: dict[str, Any] = {
        "interval": "1m",
        "url": ctx.repo_url,
        "ref": {"branch": "main"},
        "secretRef": {"name": "apps-auth"},
    }
    if sparse:
        spec["sparseCheckout"] = [name]
    return {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "GitRepository",
        "metadata": {"name": name, "namespace": NS},
        "spec": spec,
    }


def annotate(ctx: Context, name: str, now: str) -> None:
    """``reconcile.fluxcd.io/requestedAt`` on one GitRepository (a read-modify-write PUT,
    retried on a conflict)."""
    for attempt in range(5):
        obj = ctx.cluster.request("GET", f"{SOURCES}/{name}")
        obj["metadata"].setdefault("annotations", {})[REQUESTED_AT] = now
        try:
            ctx.cluster.request("PUT", f"{SOURCES}/{name}", obj)
            return
        except ClusterError:
            if attempt == 4:
                raise
