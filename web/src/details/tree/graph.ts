/**
 * The app's resource graph, before layout: the Application, its managed resources
 * (status.resources, so a Missing resource still shows), their owned children (tree nodes,
 * through parentRefs), optionally the orphaned resources; filtered, then many siblings of
 * one kind grouped into one node. Pure: same input, same output (layout.ts and the views
 * read it; the tests pin it).
 */
import type {
  Application,
  ApplicationTree,
  HealthStatusCode,
  ResourceNode,
  SyncStatusCode,
} from "../../api/types";
import { refKey, type ResourceRef } from "../../api/resourceRef";

export type GraphNodeKind = "app" | "resource" | "group";

export interface GraphNode {
  id: string;
  type: GraphNodeKind;
  kind: string;
  name: string;
  namespace: string;
  group: string;
  health?: HealthStatusCode;
  sync?: SyncStatusCode;
  orphan: boolean;
  /** For a group: how many resources it stands for. */
  count?: number;
  /** For a resource: what the panel and deep links name. */
  ref?: ResourceRef;
  /** Ids of the nodes this one hangs from (the app for a managed or orphaned resource). */
  parents: string[];
}

export interface GraphEdge {
  from: string;
  to: string;
}

export interface TreeFilters {
  kinds: string[];
  sync: SyncStatusCode[];
  health: HealthStatusCode[];
  showOrphans: boolean;
}

export const NO_FILTERS: TreeFilters = { kinds: [], sync: [], health: [], showOrphans: false };

/** Siblings of one kind under one parent from this many on are drawn as one group node. */
export const GROUP_AT = 5;

export const APP_ID = "app";

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

function keyOf(node: { group?: string; kind: string; namespace?: string; name: string }): string {
  return refKey({ group: node.group ?? "", kind: node.kind, namespace: node.namespace ?? "", name: node.name });
}

function refOf(node: { group?: string; version?: string; kind: string; namespace?: string; name: string }): ResourceRef {
  return { group: node.group ?? "", version: node.version, kind: node.kind, namespace: node.namespace ?? "", name: node.name };
}

/** Worst first: a group shows its worst member's health. */
const HEALTH_RANK: HealthStatusCode[] = ["Degraded", "Missing", "Progressing", "Suspended", "Unknown", "Healthy"];

export function worstHealth(values: (HealthStatusCode | undefined)[]): HealthStatusCode | undefined {
  const present = values.filter((v): v is HealthStatusCode => v !== undefined);
  if (present.length === 0) return undefined;
  return HEALTH_RANK.find((code) => present.includes(code));
}

/** Every node of the app, unfiltered and ungrouped (orphans only when asked for). */
export function allNodes(app: Application, tree: ApplicationTree | null, withOrphans: boolean): GraphNode[] {
  const managed = new Map((app.status?.resources ?? []).map((r) => [keyOf(r), r]));
  const byUid = new Map<string, string>();
  const nodes = new Map<string, GraphNode>();
  const add = (source: ResourceNode, orphan: boolean) => {
    const id = keyOf(source);
    if (source.uid) byUid.set(source.uid, id);
    const status = managed.get(id);
    nodes.set(id, {
      id,
      type: "resource",
      kind: source.kind,
      name: source.name,
      namespace: source.namespace ?? "",
      group: source.group ?? "",
      health: source.health?.status ?? status?.health?.status,
      sync: status?.status,
      orphan,
      ref: refOf(source),
      parents: [],
    });
  };
  for (const node of tree?.nodes ?? []) add(node, false);
  if (withOrphans) for (const node of tree?.orphanedNodes ?? []) add(node, true);
  // A managed resource the tree lacks (not created yet, or deleted): still shown.
  for (const [id, status] of managed) {
    if (!nodes.has(id)) add(status as ResourceNode, false);
  }
  const sources = [...(tree?.nodes ?? []), ...(withOrphans ? (tree?.orphanedNodes ?? []) : [])];
  for (const source of sources) {
    const node = nodes.get(keyOf(source));
    if (!node) continue;
    for (const parent of source.parentRefs ?? []) {
      const parentId = (parent.uid && byUid.get(parent.uid)) || keyOf(parent);
      if (nodes.has(parentId) && parentId !== node.id) node.parents.push(parentId);
    }
  }
  for (const node of nodes.values()) if (node.parents.length === 0) node.parents.push(APP_ID);
  const root: GraphNode = {
    id: APP_ID,
    type: "app",
    kind: "Application",
    name: app.metadata.name,
    namespace: app.metadata.namespace ?? "",
    group: "argoproj.io",
    health: app.status?.health?.status,
    sync: app.status?.sync?.status,
    orphan: false,
    parents: [],
  };
  return [root, ...[...nodes.values()].sort((a, b) => a.id.localeCompare(b.id))];
}

function matches(node: GraphNode, filters: TreeFilters): boolean {
  if (filters.kinds.length && !filters.kinds.includes(node.kind)) return false;
  if (filters.sync.length && !(node.sync && filters.sync.includes(node.sync))) return false;
  if (filters.health.length && !(node.health && filters.health.includes(node.health))) return false;
  return true;
}

/** The nodes that match, plus their ancestors (so a match keeps its path to the app). */
export function filterNodes(nodes: GraphNode[], filters: TreeFilters): GraphNode[] {
  if (!filters.kinds.length && !filters.sync.length && !filters.health.length) return nodes;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const keep = new Set<string>([APP_ID]);
  const climb = (id: string) => {
    if (keep.has(id)) return;
    keep.add(id);
    for (const parent of byId.get(id)?.parents ?? []) climb(parent);
  };
  for (const node of nodes) if (node.type !== "app" && matches(node, filters)) climb(node.id);
  return nodes
    .filter((n) => keep.has(n.id))
    .map((n) => ({ ...n, parents: n.parents.filter((p) => keep.has(p)) }));
}

export function groupId(parent: string, kind: string): string {
  return `group:${parent}:${kind}`;
}

/**
 * Owned siblings of one kind (GROUP_AT or more under one resource) become one group node, unless the
 * group's id is in `expanded`. A node with several parents is grouped under its first.
 * Descendants of grouped nodes hang from the group.
 */
export function groupNodes(nodes: GraphNode[], expanded: ReadonlySet<string>): GraphNode[] {
  const siblings = new Map<string, GraphNode[]>();
  for (const node of nodes) {
    // The app's own resources are always drawn one by one; only owned children group.
    if (node.type === "app" || node.parents.length === 0 || node.parents[0] === APP_ID) continue;
    const id = groupId(node.parents[0], node.kind);
    siblings.set(id, [...(siblings.get(id) ?? []), node]);
  }
  const replaced = new Map<string, string>();
  const groups: GraphNode[] = [];
  for (const [id, members] of siblings) {
    if (members.length < GROUP_AT || expanded.has(id)) continue;
    const first = members[0];
    for (const member of members) replaced.set(member.id, id);
    groups.push({
      id,
      type: "group",
      kind: first.kind,
      name: `${members.length} ${first.kind}s`,
      namespace: first.namespace,
      group: first.group,
      health: worstHealth(members.map((m) => m.health)),
      orphan: members.every((m) => m.orphan),
      count: members.length,
      parents: [first.parents[0]],
    });
  }
  if (replaced.size === 0) return nodes;
  const out: GraphNode[] = [];
  for (const node of nodes) {
    if (replaced.has(node.id)) continue;
    const parents = [...new Set(node.parents.map((p) => replaced.get(p) ?? p))];
    out.push({ ...node, parents });
  }
  // Groups come last: the layout keeps siblings in this order, so a group sits below its
  // parent's single resources.
  return [...out, ...groups];
}

/** The graph the tree view draws. */
export function buildGraph(
  app: Application,
  tree: ApplicationTree | null,
  filters: TreeFilters,
  expanded: ReadonlySet<string>,
): Graph {
  const nodes = groupNodes(filterNodes(allNodes(app, tree, filters.showOrphans), filters), expanded);
  const edges = nodes.flatMap((n) => n.parents.map((p) => ({ from: p, to: n.id })));
  return { nodes, edges };
}

/** The kinds present (for the kind filter's choices). */
export function kindsOf(app: Application, tree: ApplicationTree | null): string[] {
  return [...new Set(allNodes(app, tree, true).filter((n) => n.type !== "app").map((n) => n.kind))].sort();
}
