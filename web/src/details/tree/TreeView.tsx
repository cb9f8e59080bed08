/**
 * The resource tree: the tidy-tree layout (layout.ts) drawn as absolutely positioned buttons over
 * one SVG of edges. A resource node opens the resource panel; a group node ("12 Pods")
 * expands into its members and back. Nodes are buttons, so Tab walks them and Enter opens.
 */
import { memo, useCallback, useMemo, useRef, useState } from "react";
import type { Application, ApplicationTree } from "../../api/types";
import { refKey, type ResourceRef } from "../../api/resourceRef";
import { HealthBadge, SyncBadge } from "../../components/status";
import { NO_FILTERS, buildGraph, kindsOf, type TreeFilters } from "./graph";
import { layoutNodes, shapeKey, withData, type PlacedNode, type Point } from "./layout";
import { TreeFilterBar } from "./TreeFilters";
import "./tree.css";

function path(points: Point[]): string {
  return points.map((p, i) => `${i ? "L" : "M"}${p.x},${p.y}`).join(" ");
}

function nodeLabel(node: PlacedNode): string {
  if (node.type === "group") return `${node.count} ${node.kind}s, health ${node.health ?? "Unknown"}: expand`;
  const state = [node.health && `health ${node.health}`, node.sync && `sync ${node.sync}`, node.orphan && "orphaned"]
    .filter(Boolean)
    .join(", ");
  return `${node.kind} ${node.name}${state ? `, ${state}` : ""}`;
}

interface TreeNodeProps {
  node: PlacedNode;
  selected: boolean;
  onClick: (node: PlacedNode) => void;
}

/** What a node shows: a live update that changes none of it leaves the button alone. */
function sameLook(a: TreeNodeProps, b: TreeNodeProps): boolean {
  const [x, y] = [a.node, b.node];
  return (
    a.selected === b.selected &&
    a.onClick === b.onClick &&
    x.id === y.id &&
    x.x === y.x &&
    x.y === y.y &&
    x.health === y.health &&
    x.sync === y.sync &&
    x.count === y.count &&
    x.orphan === y.orphan
  );
}

const TreeNode = memo(function TreeNode({
  node,
  selected,
  onClick,
}: TreeNodeProps) {
  return (
    <button
      type="button"
      className={`tree-node tree-node-${node.type}${node.orphan ? " orphan" : ""}${selected ? " selected" : ""}`}
      style={{ left: node.x, top: node.y, width: node.width, height: node.height }}
      aria-label={nodeLabel(node)}
      aria-pressed={node.type === "resource" ? selected : undefined}
      aria-expanded={node.type === "group" ? false : undefined}
      data-kind={node.kind}
      data-name={node.name}
      data-health={node.health}
      onClick={() => onClick(node)}
    >
      <span className="tree-node-kind">{node.type === "group" ? `${node.kind} ×${node.count}` : node.kind}</span>
      <span className="tree-node-name">{node.type === "group" ? "click to expand" : node.name}</span>
      <span className="tree-node-status">
        {node.health ? <HealthBadge status={node.health} label={false} /> : null}
        {node.sync ? <SyncBadge status={node.sync} label={false} /> : null}
      </span>
    </button>
  );
}, sameLook);

export interface TreeViewProps {
  app: Application;
  /** null while loading: only the app's own resources are known then. */
  tree: ApplicationTree | null;
  /** The tree could not be loaded (the page shows why): draw what the app's status knows. */
  treeFailed?: boolean;
  selected: ResourceRef | null;
  onSelect: (ref: ResourceRef) => void;
}

export function TreeView({ app, tree, treeFailed = false, selected, onSelect }: TreeViewProps) {
  const [filters, setFilters] = useState<TreeFilters>(NO_FILTERS);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  // Until the tree comes, nothing is laid out: one layout of the whole tree, not two.
  const waiting = tree === null && !treeFailed;
  const graph = useMemo(
    () => (waiting ? { nodes: [], edges: [] } : buildGraph(app, tree, filters, expanded)),
    [waiting, app, tree, filters, expanded],
  );
  const shape = shapeKey(graph.nodes);
  // The shape alone decides positions (see shapeKey): a status change skips the layout.
  const placed = useMemo(() => {
    const start = performance.now();
    const found = layoutNodes(graph.nodes);
    // The bench reads this measure to tell layout time from render time.
    performance.measure("kapstan-tree-layout", { start, end: performance.now() });
    return found;
  }, [shape]);
  const layout = useMemo(() => withData(placed, graph.nodes), [placed, graph]);
  const kinds = useMemo(() => kindsOf(app, tree), [app, tree]);
  const selectedKey = selected ? refKey(selected) : null;
  // One stable click handler, so a live update re-renders only the nodes that changed.
  const select = useRef(onSelect);
  select.current = onSelect;
  const click = useCallback((node: PlacedNode) => {
    if (node.type === "group") setExpanded((now) => new Set([...now, node.id]));
    else if (node.ref) select.current(node.ref);
  }, []);
  return (
    <section className="tree-view" aria-label="Resource tree">
      <TreeFilterBar kinds={kinds} filters={filters} onChange={setFilters} />
      {expanded.size ? (
        <button type="button" className="btn" onClick={() => setExpanded(new Set())}>
          Collapse groups
        </button>
      ) : null}
      {waiting ? <p role="status" className="hint">Loading the resource tree…</p> : null}
      <div className="tree-scroll">
        <div className="tree-canvas" style={{ width: layout.width, height: layout.height }}>
          <svg className="tree-edges" width={layout.width} height={layout.height} aria-hidden="true">
            {layout.edges.map((edge) => (
              <path key={`${edge.from}>${edge.to}`} d={path(edge.points)} />
            ))}
          </svg>
          {layout.nodes.map((node) => (
            <TreeNode key={node.id} node={node} selected={node.ref ? refKey(node.ref) === selectedKey : false} onClick={click} />
          ))}
        </div>
      </div>
    </section>
  );
}
