/** Test and bench data: an app with a Deployment → ReplicaSet → N Pods, a Service, orphans. */
import type { Application, ApplicationTree, ResourceNode } from "../../api/types";

export function sampleApp(name = "web"): Application {
  return {
    metadata: { name, namespace: "argocd" },
    spec: { project: "default", destination: { namespace: "web" } },
    status: {
      sync: { status: "OutOfSync" },
      health: { status: "Healthy" },
      resources: [
        { group: "apps", version: "v1", kind: "Deployment", namespace: "web", name: "web", status: "Synced", health: { status: "Healthy" } },
        { version: "v1", kind: "Service", namespace: "web", name: "web", status: "Synced", health: { status: "Healthy" } },
        { version: "v1", kind: "ConfigMap", namespace: "web", name: "settings", status: "OutOfSync" },
      ],
    },
  };
}

export function pod(index: number, health: "Healthy" | "Degraded" = "Healthy", replicaSet = "web-1"): ResourceNode {
  return {
    version: "v1",
    kind: "Pod",
    namespace: "web",
    name: `${replicaSet}-pod-${index}`,
    uid: `pod-${replicaSet}-${index}`,
    health: { status: health },
    parentRefs: [{ group: "apps", kind: "ReplicaSet", namespace: "web", name: replicaSet, uid: `rs-${replicaSet}` }],
    info: [{ name: "Node", value: index % 2 ? "node-b" : "node-a" }],
  };
}

export function sampleTree(pods = 1): ApplicationTree {
  return {
    nodes: [
      { group: "apps", version: "v1", kind: "Deployment", namespace: "web", name: "web", uid: "deploy", health: { status: "Healthy" } },
      {
        group: "apps",
        version: "v1",
        kind: "ReplicaSet",
        namespace: "web",
        name: "web-1",
        uid: "rs-web-1",
        health: { status: "Healthy" },
        parentRefs: [{ group: "apps", kind: "Deployment", namespace: "web", name: "web", uid: "deploy" }],
      },
      ...Array.from({ length: pods }, (_, i) => pod(i)),
      {
        version: "v1",
        kind: "Service",
        namespace: "web",
        name: "web",
        uid: "svc",
        health: { status: "Healthy" },
        networkingInfo: { targetLabels: { app: "web" } },
      },
    ],
    orphanedNodes: [{ version: "v1", kind: "ConfigMap", namespace: "web", name: "leftover", uid: "orphan" }],
  };
}
