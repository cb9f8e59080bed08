import { APP_ID, GROUP_AT, NO_FILTERS, buildGraph, groupId, kindsOf, type GraphNode } from "./graph";
import { NODE_HEIGHT, NODE_WIDTH, layoutNodes, layoutTree, shapeKey, withData } from "./layout";
import { pod, sampleApp, sampleTree } from "./fixtures";

const none = new Set<string>();
const byName = (nodes: GraphNode[], kind: string, name: string) =>
  nodes.find((n) => n.kind === kind && n.name === name);

describe("resource graph", () => {
  it("hangs children from their parents through parentRefs, managed resources from the app", () => {
    const { nodes } = buildGraph(sampleApp(), sampleTree(1), NO_FILTERS, none);
    expect(byName(nodes, "Deployment", "web")?.parents).toEqual([APP_ID]);
    expect(byName(nodes, "ReplicaSet", "web-1")?.parents).toEqual(["apps/Deployment/web/web"]);
    expect(byName(nodes, "Pod", "web-1-pod-0")?.parents).toEqual(["apps/ReplicaSet/web/web-1"]);
    expect(byName(nodes, "Pod", "web-1-pod-0")?.ref).toMatchObject({ group: "", kind: "Pod", name: "web-1-pod-0" });
  });

  it("takes sync from status.resources and keeps managed resources the tree lacks", () => {
    const { nodes } = buildGraph(sampleApp(), sampleTree(1), NO_FILTERS, none);
    expect(byName(nodes, "Deployment", "web")?.sync).toBe("Synced");
    const missing = byName(nodes, "ConfigMap", "settings");
    expect(missing).toMatchObject({ sync: "OutOfSync", parents: [APP_ID] });
  });

  it("shows orphans only when asked, marked as such", () => {
    expect(byName(buildGraph(sampleApp(), sampleTree(), NO_FILTERS, none).nodes, "ConfigMap", "leftover")).toBeUndefined();
    const shown = buildGraph(sampleApp(), sampleTree(), { ...NO_FILTERS, showOrphans: true }, none).nodes;
    expect(byName(shown, "ConfigMap", "leftover")).toMatchObject({ orphan: true, parents: [APP_ID] });
  });

  it(`groups ${GROUP_AT}+ pods of one parent into one node with a count and the worst health`, () => {
    const tree = sampleTree(GROUP_AT);
    tree.nodes![2] = pod(0, "Degraded");
    const { nodes, edges } = buildGraph(sampleApp(), tree, NO_FILTERS, none);
    expect(nodes.filter((n) => n.kind === "Pod")).toHaveLength(1);
    const group = nodes.find((n) => n.type === "group")!;
    expect(group).toMatchObject({ count: GROUP_AT, health: "Degraded", parents: ["apps/ReplicaSet/web/web-1"] });
    expect(edges).toContainEqual({ from: "apps/ReplicaSet/web/web-1", to: group.id });
  });

  it("does not group fewer pods, and expands a group on request", () => {
    expect(buildGraph(sampleApp(), sampleTree(GROUP_AT - 1), NO_FILTERS, none).nodes.some((n) => n.type === "group")).toBe(false);
    const expanded = new Set([groupId("apps/ReplicaSet/web/web-1", "Pod")]);
    const { nodes } = buildGraph(sampleApp(), sampleTree(GROUP_AT), NO_FILTERS, expanded);
    expect(nodes.filter((n) => n.kind === "Pod")).toHaveLength(GROUP_AT);
  });

  it.each([
    ["kind Pod", { kinds: ["Pod"] }, ["Application", "Deployment", "ReplicaSet", "Pod"]],
    ["sync OutOfSync", { sync: ["OutOfSync" as const] }, ["Application", "ConfigMap"]],
    ["health Healthy + kind Service", { health: ["Healthy" as const], kinds: ["Service"] }, ["Application", "Service"]],
  ])("filters by %s, keeping the path to the app", (_, filter, kinds) => {
    const { nodes } = buildGraph(sampleApp(), sampleTree(1), { ...NO_FILTERS, ...filter }, none);
    expect(nodes.map((n) => n.kind).sort()).toEqual([...kinds].sort());
  });

  it("never groups the app's own resources", () => {
    const app = sampleApp();
    app.status!.resources = Array.from({ length: GROUP_AT + 2 }, (_, i) => ({ version: "v1", kind: "ConfigMap", namespace: "web", name: `cm-${i}` }));
    const { nodes } = buildGraph(app, { nodes: [] }, NO_FILTERS, none);
    expect(nodes.filter((n) => n.kind === "ConfigMap")).toHaveLength(GROUP_AT + 2);
  });

  it("lists the kinds present", () => {
    expect(kindsOf(sampleApp(), sampleTree())).toEqual(["ConfigMap", "Deployment", "Pod", "ReplicaSet", "Service"]);
  });
});

describe("tree layout", () => {
  const overlap = (a: { x: number; y: number }, b: { x: number; y: number }) =>
    a.x < b.x + NODE_WIDTH && b.x < a.x + NODE_WIDTH && a.y < b.y + NODE_HEIGHT && b.y < a.y + NODE_HEIGHT;

  it("places children right of their parents, without overlaps", () => {
    const expanded = new Set([groupId("apps/ReplicaSet/web/web-1", "Pod")]);
    const layout = layoutTree(sampleApp(), sampleTree(12), { ...NO_FILTERS, showOrphans: true }, expanded);
    expect(layout.nodes).toHaveLength(1 + 3 + 12 + 1 + 1);
    const at = new Map(layout.nodes.map((n) => [n.id, n]));
    for (const node of layout.nodes) {
      for (const parent of node.parents) expect(node.x).toBeGreaterThan(at.get(parent)!.x + NODE_WIDTH);
      for (const other of layout.nodes) if (other !== node) expect(overlap(node, other)).toBe(false);
      expect(node.x + NODE_WIDTH).toBeLessThanOrEqual(layout.width);
      expect(node.y + NODE_HEIGHT).toBeLessThanOrEqual(layout.height);
    }
    expect(layout.edges).toHaveLength(layout.nodes.length - 1);
    const edge = layout.edges.find((e) => e.from === APP_ID)!;
    expect(edge.points[0].x).toBe(at.get(APP_ID)!.x + NODE_WIDTH);
    expect(edge.points.at(-1)!.x).toBe(at.get(edge.to)!.x);
  });

  it("lays out 500 resources", () => {
    const tree = sampleTree(0);
    for (let rs = 0; rs < 100; rs++) {
      tree.nodes!.push({
        group: "apps", kind: "ReplicaSet", namespace: "web", name: `rs-${rs}`, uid: `rs-rs-${rs}`,
        parentRefs: [{ group: "apps", kind: "Deployment", namespace: "web", name: "web", uid: "deploy" }],
      });
      for (let p = 0; p < 4; p++) tree.nodes!.push(pod(p, "Healthy", `rs-${rs}`));
    }
    const expanded = new Set([groupId("apps/Deployment/web/web", "ReplicaSet")]);
    const layout = layoutTree(sampleApp(), tree, NO_FILTERS, expanded);
    expect(layout.nodes.length).toBeGreaterThan(500);
    const seen = new Set(layout.nodes.map((n) => `${n.x},${n.y}`));
    expect(seen.size).toBe(layout.nodes.length);
  });

  const node = (id: string, parents: string[]): GraphNode => ({
    id, type: "resource", kind: "ConfigMap", name: id, namespace: "web", group: "", orphan: false, parents,
  });

  it("puts a node with two parents right of both, with an edge from each", () => {
    const layout = layoutNodes([node("app", []), node("a", ["app"]), node("b", ["a"]), node("c", ["app", "b"])]);
    const at = new Map(layout.nodes.map((n) => [n.id, n]));
    expect(at.get("c")!.x).toBeGreaterThan(at.get("b")!.x);
    expect(layout.edges.filter((e) => e.to === "c").map((e) => e.from).sort()).toEqual(["app", "b"]);
  });

  it("centres a parent on its children and keeps siblings in the graph's order", () => {
    const layout = layoutNodes([node("app", []), node("one", ["app"]), node("two", ["app"]), node("three", ["app"])]);
    const at = new Map(layout.nodes.map((n) => [n.id, n]));
    expect(at.get("one")!.y).toBeLessThan(at.get("two")!.y);
    expect(at.get("two")!.y).toBeLessThan(at.get("three")!.y);
    expect(at.get("app")!.y).toBe(at.get("two")!.y);
  });

  it("survives a parent cycle and parents it does not know", () => {
    const layout = layoutNodes([node("a", ["b"]), node("b", ["a"]), node("c", ["gone", "c"])]);
    expect(layout.nodes).toHaveLength(3);
    expect(new Set(layout.nodes.map((n) => `${n.x},${n.y}`)).size).toBe(3);
    expect(layout.edges.map((e) => `${e.from}>${e.to}`).sort()).toEqual(["a>b", "b>a"]);
  });

  it("keeps positions when only a status changes, and relays out when the shape changes", () => {
    const before = buildGraph(sampleApp(), sampleTree(2), NO_FILTERS, none).nodes;
    const changed = sampleTree(2);
    changed.nodes![2] = pod(0, "Degraded");
    const after = buildGraph(sampleApp(), changed, NO_FILTERS, none).nodes;
    expect(shapeKey(after)).toBe(shapeKey(before));
    const layout = withData(layoutNodes(before), after);
    const moved = layout.nodes.find((n) => n.name === "web-1-pod-0")!;
    expect(moved.health).toBe("Degraded");
    expect(moved.x).toBe(layoutNodes(before).nodes.find((n) => n.name === "web-1-pod-0")!.x);
    expect(shapeKey(buildGraph(sampleApp(), sampleTree(3), NO_FILTERS, none).nodes)).not.toBe(shapeKey(before));
  });
});
