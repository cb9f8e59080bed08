"""The floor for bench/peers.py: the same 4 x N objects applied by the bench itself with
concurrent server-side apply (32 in flight, no client rate limit), no git, no diff, no health
wait: the time the API server itself needs to take the workload. Nothing is counted as the
tool's memory or CPU (the bench process does the work)."""

from __future__ import annotations

from controller_bench import app_manifests
from peers_common import BENCH_NS, Call, Context, Deployed

PLURALS = {
    "ServiceAccount": "/api/v1/namespaces/{ns}/serviceaccounts",
    "Service": "/api/v1/namespaces/{ns}/services",
    "Deployment": "/apis/apps/v1/namespaces/{ns}/deployments",
    "Ingress": "/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses",
}


def setup(ctx: Context, tuned: bool = False) -> Deployed:
    ctx.namespace(BENCH_NS)
    calls = [
        Call(
            f"{PLURALS[obj['kind']].format(ns=BENCH_NS)}/{obj['metadata']['name']}",
            {**obj, "metadata": {**obj["metadata"], "namespace": BENCH_NS}},
            method="PATCH",
            content_type="application/apply-patch+yaml",
            params={"fieldManager": "bench-floor", "force": "true"},
        )
        for i in range(ctx.n)
        for obj in app_manifests(i)
    ]
    return Deployed(
        label="floor (concurrent SSA)",
        counted=[],
        creates=calls,
        watch=PLURALS["Ingress"].format(ns=BENCH_NS),
        ready=lambda _obj: True,
        expected=ctx.n,
        note="the bench's own client, 32 in flight",
        done_when_applied=True,
    )
