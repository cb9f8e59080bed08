"""Diff and health engine throughput (pure Python, no cluster).

    .venv/bin/python bench/engine_bench.py [--count 10000]

Generates ``--count`` realistic Deployment pairs (several containers with env, ports and
resources; the live side carries the apiserver's defaults, a kubectl last-applied
annotation, managedFields and status) and times ``diff_resource`` per resource:

* three-way, identical (Synced) and one field changed (a container image; OutOfSync,
  which also renders the YAML diff and the JSON patch);
* server-side, the same two, fed a generated SSA dry-run result (live with the desired
  change and kapstan's managedFields, as ``kubectl apply --server-side --dry-run=server``
  returns it).

Then ``assess`` per Deployment and per Pod. Inputs are built before timing starts.
"""

from __future__ import annotations

import argparse
import copy
import json
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from kapstan.engine.diff import diff_resource
from kapstan.engine.health import assess
from kapstan.engine.mode import DiffMode
from kapstan.model.status import SyncStatusCode
from kapstan.model.vocabulary import LAST_APPLIED

MANAGER = "kapstan-controller"
NAMESPACE = "shop"

Obj = dict[str, Any]


def desired_deployment(i: int, rng: random.Random) -> Obj:
    app = f"svc-{i}"
    containers = []
    for c in range(rng.randint(2, 4)):
        containers.append(
            {
                "name": f"c{c}",
                "image": f"registry.example/{app}/c{c}:1.{rng.randint(0, 40)}.{rng.randint(0, 9)}",
                "args": ["--listen", f":{8080 + c}", "--log-format=json"],
                "ports": [
                    {"name": f"http{c}", "containerPort": 8080 + c},
                    {"name": f"metrics{c}", "containerPort": 9090 + c},
                ],
                "env": [
                    {"name": f"VAR_{e}", "value": f"value-{i}-{c}-{e}"}
                    for e in range(rng.randint(4, 8))
                ]
                + [
                    {
                        "name": "POD_NAME",
                        "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}},
                    }
                ],
                "resources": {
                    "requests": {"cpu": "0.25", "memory": "256Mi"},
                    "limits": {"cpu": "1", "memory": "1024Mi"},
                },
                "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080 + c}},
                "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}],
            }
        )
    labels = {
        "app.kubernetes.io/name": app,
        "app.kubernetes.io/part-of": "shop",
        "app.kubernetes.io/version": "1.0",
        "team": rng.choice(["payments", "search", "checkout", "catalog"]),
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": app, "namespace": NAMESPACE, "labels": labels},
        "spec": {
            "replicas": rng.randint(1, 6),
            "selector": {"matchLabels": {"app.kubernetes.io/name": app}},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    "containers": containers,
                    "volumes": [{"name": "config", "configMap": {"name": f"{app}-config"}}],
                },
            },
        },
    }


def _apply_defaults(obj: Obj) -> None:
    """What the apiserver fills in for an apps/v1 Deployment (and rewrites: quantities)."""
    spec = obj["spec"]
    spec.setdefault("strategy", {"type": "RollingUpdate"})
    spec["strategy"].setdefault("rollingUpdate", {"maxSurge": "25%", "maxUnavailable": "25%"})
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    template = spec["template"]
    template["metadata"]["creationTimestamp"] = None
    pod = template["spec"]
    pod.update(
        {
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "securityContext": {},
            "schedulerName": "default-scheduler",
        }
    )
    for volume in pod["volumes"]:
        volume["configMap"].setdefault("defaultMode", 420)
    for container in pod["containers"]:
        container["imagePullPolicy"] = "IfNotPresent"
        container["terminationMessagePath"] = "/dev/termination-log"
        container["terminationMessagePolicy"] = "File"
        for port in container["ports"]:
            port.setdefault("protocol", "TCP")
        for env in container["env"]:
            if "valueFrom" in env:
                env["valueFrom"]["fieldRef"].setdefault("apiVersion", "v1")
        container["resources"] = {
            "requests": {"cpu": "250m", "memory": "256Mi"},
            "limits": {"cpu": "1", "memory": "1Gi"},
        }
        probe = container["readinessProbe"]
        probe["httpGet"].setdefault("scheme", "HTTP")
        probe.update(
            {"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}
        )


def _fields_v1(desired: Obj) -> Obj:
    """A fieldsV1 tree owning the desired containers' fields (enough for webhook checks)."""
    containers = {
        f'k:{{"name":"{c["name"]}"}}': {".": {}, **{f"f:{k}": {} for k in c}}
        for c in desired["spec"]["template"]["spec"]["containers"]
    }
    return {
        "f:metadata": {"f:labels": {f"f:{k}": {} for k in desired["metadata"]["labels"]}},
        "f:spec": {
            "f:replicas": {},
            "f:selector": {},
            "f:template": {
                "f:metadata": {"f:labels": {}},
                "f:spec": {"f:containers": containers, "f:volumes": {}},
            },
        },
    }


def live_deployment(desired: Obj, i: int, *, manager: str, operation: str) -> Obj:
    live = copy.deepcopy(desired)
    _apply_defaults(live)
    last_applied = copy.deepcopy(desired)
    last_applied["metadata"]["annotations"] = {}
    meta = live["metadata"]
    if operation == "Update":
        meta["annotations"] = {
            LAST_APPLIED: json.dumps(last_applied, separators=(",", ":")),
        }
    meta.setdefault("annotations", {})["deployment.kubernetes.io/revision"] = "3"
    meta.update(
        {
            "uid": f"6f1c2b1e-0000-4000-8000-{i:012d}",
            "resourceVersion": str(100000 + i),
            "generation": 3,
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "managedFields": [
                {
                    "manager": manager,
                    "operation": operation,
                    "apiVersion": "apps/v1",
                    "time": "2026-01-01T00:00:00Z",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": _fields_v1(desired),
                },
                {
                    "manager": "kube-controller-manager",
                    "operation": "Update",
                    "apiVersion": "apps/v1",
                    "subresource": "status",
                    "time": "2026-01-01T00:00:05Z",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:status": {"f:replicas": {}, "f:readyReplicas": {}}},
                },
            ],
        }
    )
    replicas = live["spec"]["replicas"]
    live["status"] = {
        "observedGeneration": 3,
        "replicas": replicas,
        "updatedReplicas": replicas,
        "readyReplicas": replicas,
        "availableReplicas": replicas,
        "conditions": [
            {
                "type": "Available",
                "status": "True",
                "reason": "MinimumReplicasAvailable",
                "lastUpdateTime": "2026-01-01T00:00:05Z",
                "lastTransitionTime": "2026-01-01T00:00:05Z",
            },
            {
                "type": "Progressing",
                "status": "True",
                "reason": "NewReplicaSetAvailable",
                "lastUpdateTime": "2026-01-01T00:00:05Z",
                "lastTransitionTime": "2026-01-01T00:00:00Z",
            },
        ],
    }
    return live


def changed(desired: Obj) -> Obj:
    """The Git side after a release: one container image bumped."""
    out = copy.deepcopy(desired)
    out["spec"]["template"]["spec"]["containers"][0]["image"] += "-hotfix"
    return out


def dry_run_for(desired: Obj, live: Obj) -> Obj:
    """What an SSA dry-run by kapstan's manager returns: live with desired's values applied."""
    out = copy.deepcopy(live)
    for src, dst in zip(
        desired["spec"]["template"]["spec"]["containers"],
        out["spec"]["template"]["spec"]["containers"],
        strict=True,
    ):
        dst["image"] = src["image"]
    return out


def pod_for(deploy: Obj, i: int) -> Obj:
    spec = copy.deepcopy(deploy["spec"]["template"]["spec"])
    spec["nodeName"] = f"kwok-node-{i % 2}"
    statuses = [
        {
            "name": c["name"],
            "image": c["image"],
            "imageID": "",
            "ready": True,
            "restartCount": 0,
            "started": True,
            "state": {"running": {"startedAt": "2026-01-01T00:00:03Z"}},
        }
        for c in spec["containers"]
    ]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{deploy['metadata']['name']}-7d9f8c6b5-{i:05d}",
            "namespace": NAMESPACE,
            "labels": dict(deploy["spec"]["template"]["metadata"]["labels"]),
        },
        "spec": spec,
        "status": {
            "phase": "Running",
            "conditions": [
                {"type": t, "status": "True"}
                for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")
            ],
            "containerStatuses": statuses,
        },
    }


def timed(items: Sequence[Any], fn: Callable[[Any], Any]) -> tuple[float, list[Any]]:
    start = time.perf_counter()
    results = [fn(item) for item in items]
    elapsed = time.perf_counter() - start
    return elapsed / len(items) * 1e6, results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args(argv)
    n: int = args.count
    rng = random.Random(4)

    t0 = time.perf_counter()
    desired = [desired_deployment(i, rng) for i in range(n)]
    csa_live = [
        live_deployment(d, i, manager="kubectl-client-side-apply", operation="Update")
        for i, d in enumerate(desired)
    ]
    ssa_live = [
        live_deployment(d, i, manager=MANAGER, operation="Apply") for i, d in enumerate(desired)
    ]
    bumped = [changed(d) for d in desired]
    ssa_same = [dry_run_for(d, live) for d, live in zip(desired, ssa_live, strict=True)]
    ssa_bumped = [dry_run_for(d, live) for d, live in zip(bumped, ssa_live, strict=True)]
    pods = [pod_for(live, i) for i, live in enumerate(csa_live)]
    build_s = time.perf_counter() - t0
    containers = sum(len(d["spec"]["template"]["spec"]["containers"]) for d in desired)
    live_bytes = sum(len(json.dumps(o)) for o in csa_live) / n
    print(
        f"{n} Deployments ({containers / n:.1f} containers, {live_bytes / 1024:.1f} KiB live JSON"
        f" each); inputs built in {build_s:.1f} s"
    )
    print(f"python {platform.python_version()} on {platform.machine()}")

    three = DiffMode.THREE_WAY
    server = DiffMode.SERVER_SIDE
    idx = range(n)
    cases: list[tuple[str, Callable[[int], Any], SyncStatusCode]] = [
        (
            "diff three-way, identical",
            lambda i: diff_resource(desired[i], csa_live[i], mode=three),
            SyncStatusCode.SYNCED,
        ),
        (
            "diff three-way, image changed",
            lambda i: diff_resource(bumped[i], csa_live[i], mode=three),
            SyncStatusCode.OUT_OF_SYNC,
        ),
        (
            "diff server-side, identical",
            lambda i: diff_resource(desired[i], ssa_live[i], mode=server, dry_run=ssa_same[i]),
            SyncStatusCode.SYNCED,
        ),
        (
            "diff server-side, image changed",
            lambda i: diff_resource(bumped[i], ssa_live[i], mode=server, dry_run=ssa_bumped[i]),
            SyncStatusCode.OUT_OF_SYNC,
        ),
    ]
    total_start = time.perf_counter()
    for name, fn, want in cases:
        us, results = timed(idx, fn)
        bad = sum(r.sync_status is not want for r in results)
        if bad:
            print(f"ERROR: {name}: {bad} results not {want}", file=sys.stderr)
            return 1
        print(f"{name:34} {us:8.0f} µs/resource")
    for name, objs in (("health Deployment", csa_live), ("health Pod", pods)):
        us, results = timed(objs, assess)
        bad = sum(r is None or r.status != "Healthy" for r in results)
        if bad:
            print(f"ERROR: {name}: {bad} results not Healthy", file=sys.stderr)
            return 1
        print(f"{name:34} {us:8.1f} µs/resource")
    print(f"timed total {time.perf_counter() - total_start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
