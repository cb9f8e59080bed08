/**
 * Where each node of the resource graph goes: dagre, left to right (the app on the left,
 * children to the right of their parents), as Argo CD draws it. Pure and synchronous:
 * positions are the nodes' top-left corners in pixels; edges are polylines between node
 * sides. The tree view draws nodes as absolutely positioned buttons and edges in one SVG.
 */
import dagre from "@dagrejs/dagre";
import type { Application, ApplicationTree } from "../../api/types";
import { buildGraph, type GraphNode, type TreeFilters } from "./graph";

export const NODE_WIDTH = 240;
export const NODE_HEIGHT = 52;
const RANK_GAP = 64;
const NODE_GAP = 14;
const MARGIN = 16;

export interface Point {
  x: number;
  y: number;
}

export interface PlacedNode extends GraphNode {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PlacedEdge {
  from: string;
  to: string;
  points: Point[];
}

export interface TreeLayout {
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  width: number;
  height: number;
}

/** Lay out graph nodes (whose `parents` name the edges). */
export function layoutNodes(nodes: GraphNode[]): TreeLayout {
  const graph = new dagre.graphlib.Graph();
  // tight-tree ranks a tree by depth, as network-simplex does, in about 2/3 of its time.
  graph.setGraph({ rankdir: "LR", ranker: "tight-tree", ranksep: RANK_GAP, nodesep: NODE_GAP, marginx: MARGIN, marginy: MARGIN });
  graph.setDefaultEdgeLabel(() => ({}));
  const ids = new Set(nodes.map((n) => n.id));
  for (const node of nodes) graph.setNode(node.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const node of nodes) {
    for (const parent of node.parents) if (ids.has(parent)) graph.setEdge(parent, node.id);
  }
  dagre.layout(graph);
  const placed = nodes.map((node): PlacedNode => {
    const at = graph.node(node.id);
    return {
      ...node,
      x: Math.round((at.x ?? 0) - NODE_WIDTH / 2),
      y: Math.round((at.y ?? 0) - NODE_HEIGHT / 2),
      width: NODE_WIDTH,
      height: NODE_HEIGHT,
    };
  });
  const byId = new Map(placed.map((n) => [n.id, n]));
  const edges = graph.edges().map((edge): PlacedEdge => {
    const from = byId.get(edge.v)!;
    const to = byId.get(edge.w)!;
    // From the parent's right side to the child's left side, through dagre's bends.
    const bends = (graph.edge(edge)?.points ?? []).slice(1, -1);
    return {
      from: edge.v,
      to: edge.w,
      points: [
        { x: from.x + from.width, y: from.y + from.height / 2 },
        ...bends,
        { x: to.x, y: to.y + to.height / 2 },
      ],
    };
  });
  const label = graph.graph();
  const width = Math.max(label.width ?? 0, ...placed.map((n) => n.x + n.width + MARGIN));
  const height = Math.max(label.height ?? 0, ...placed.map((n) => n.y + n.height + MARGIN));
  return { nodes: placed, edges, width, height };
}

/**
 * What decides the layout: node ids and their parents. A live update that only changes a
 * health or sync status keeps the key, so the view reuses the positions (dagre is the
 * expensive part) and only redraws the nodes' data (`withData`).
 */
export function shapeKey(nodes: GraphNode[]): string {
  return nodes.map((n) => `${n.id}<${n.parents.join(",")}`).join("|");
}

/** A layout of the same shape with the nodes' current data. */
export function withData(layout: TreeLayout, nodes: GraphNode[]): TreeLayout {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  return {
    ...layout,
    nodes: layout.nodes.map((placed) => {
      const node = byId.get(placed.id);
      return node ? { ...node, x: placed.x, y: placed.y, width: placed.width, height: placed.height } : placed;
    }),
  };
}

/** The app's tree, filtered, grouped and laid out. */
export function layoutTree(
  app: Application,
  tree: ApplicationTree | null,
  filters: TreeFilters,
  expanded: ReadonlySet<string>,
): TreeLayout {
  return layoutNodes(buildGraph(app, tree, filters, expanded).nodes);
}
