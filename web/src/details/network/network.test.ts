import { networkRoutes } from "./network";
import { groupPods } from "../pods/PodsView";
import { pod, sampleTree } from "../tree/fixtures";
import type { ApplicationTree } from "../../api/types";

describe("network view", () => {
  const tree = (): ApplicationTree => {
    const found = sampleTree(2);
    found.nodes!.forEach((n) => {
      if (n.kind === "Pod") n.networkingInfo = { labels: { app: "web" } };
    });
    found.nodes!.push({ ...pod(9), networkingInfo: { labels: { app: "other" } } });
    found.nodes!.push({
      group: "networking.k8s.io",
      kind: "Ingress",
      namespace: "web",
      name: "web",
      networkingInfo: { targetRefs: [{ kind: "Service", namespace: "web", name: "web" }], ingress: [{ hostname: "web.example" }] },
    });
    return found;
  };

  it("routes Ingress → Service → the Pods its selector matches", () => {
    const [route] = networkRoutes(tree());
    expect(route.ingress?.name).toBe("web");
    expect(route.addresses).toEqual(["web.example"]);
    expect(route.services.map((s) => s.service.name)).toEqual(["web"]);
    expect(route.services[0].pods.map((p) => p.name)).toEqual(["web-1-pod-0", "web-1-pod-1"]);
  });

  it("lists Services no Ingress names under no ingress", () => {
    const routes = networkRoutes(sampleTree(1));
    expect(routes).toHaveLength(1);
    expect(routes[0].ingress).toBeNull();
    expect(routes[0].services[0].pods).toEqual([]); // the pod carries no labels
  });
});

describe("pods view", () => {
  it.each([
    ["node", [["node-a", 2], ["node-b", 1]]],
    ["parent", [["ReplicaSet/web-1", 3]]],
  ] as const)("groups by %s", (by, expected) => {
    expect(groupPods(sampleTree(3), by).map(([key, pods]) => [key, pods.length])).toEqual(expected);
  });
});
