/** The app's pods, grouped by the node they run on or by their parent (ReplicaSet, Job…). */
import { useState } from "react";
import type { ApplicationTree, ResourceNode } from "../../api/types";
import { refKey, type ResourceRef } from "../../api/resourceRef";
import { HealthBadge } from "../../components/status";
import "./pods.css";

export type PodGrouping = "node" | "parent";

export function groupPods(tree: ApplicationTree | null, by: PodGrouping): [string, ResourceNode[]][] {
  const groups = new Map<string, ResourceNode[]>();
  for (const pod of tree?.nodes ?? []) {
    if (pod.kind !== "Pod" || pod.group) continue;
    const parent = pod.parentRefs?.[0];
    const key =
      by === "node"
        ? pod.info?.find((i) => i.name === "Node")?.value || "node not reported"
        : parent
          ? `${parent.kind}/${parent.name}`
          : "no parent";
    groups.set(key, [...(groups.get(key) ?? []), pod]);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
}

export function PodsView({ tree, selected, onSelect }: {
  tree: ApplicationTree | null;
  selected: ResourceRef | null;
  onSelect: (ref: ResourceRef) => void;
}) {
  const [by, setBy] = useState<PodGrouping>("node");
  const groups = groupPods(tree, by);
  const current = selected ? refKey(selected) : null;
  return (
    <section className="pods-view" aria-label="Pods">
      <div role="radiogroup" aria-label="Group pods by" className="pods-grouping">
        {(["node", "parent"] as const).map((value) => (
          <label key={value}>
            <input type="radio" name="pod-grouping" checked={by === value} onChange={() => setBy(value)} />
            by {value}
          </label>
        ))}
      </div>
      {groups.length === 0 ? <p className="hint">No pods.</p> : null}
      <div className="pod-groups">
        {groups.map(([key, pods]) => (
          <section key={key} className="pod-group" aria-label={`${by === "node" ? "Node" : "Parent"} ${key}`}>
            <h3>{key} <span className="hint">({pods.length})</span></h3>
            <ul>
              {pods.map((pod) => {
                const ref = { group: "", kind: "Pod", namespace: pod.namespace ?? "", name: pod.name };
                return (
                  <li key={pod.uid ?? pod.name}>
                    <button
                      type="button"
                      className={`pod${refKey(ref) === current ? " selected" : ""}`}
                      aria-pressed={refKey(ref) === current}
                      aria-label={`Pod ${pod.name}, health ${pod.health?.status ?? "Unknown"}`}
                      onClick={() => onSelect(ref)}
                    >
                      <HealthBadge status={pod.health?.status} label={false} /> {pod.name}
                    </button>
                  </li>
                );
              })}
            </ul>
          </section>
        ))}
      </div>
    </section>
  );
}
