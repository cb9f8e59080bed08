/**
 * The PR preview's reading of `GET api/v1/applications/{name}/server-side-diff?revision=…`
 * (`{items: ResourceDiff[], modified, revision}`; states are JSON text, `"null"` when the
 * object is absent on that side). As `kapstan app diff --revision` reads it: the normalized
 * live state against the predicted live state (falling back to live/target), hooks left out;
 * a resource only in the target is added, one only live is removed (by a sync with prune).
 */
import { stringify } from "yaml";

export interface ResourceDiffItem {
  group?: string;
  kind: string;
  namespace?: string;
  name: string;
  targetState?: string;
  liveState?: string;
  normalizedLiveState?: string;
  predictedLiveState?: string;
  modified?: boolean;
  hook?: boolean;
}

export interface ServerSideDiff {
  items?: ResourceDiffItem[] | null;
  modified?: boolean;
  revision?: string;
}

export type ChangeKind = "added" | "changed" | "removed";

export interface ResourceChange {
  key: string;
  group: string;
  kind: string;
  namespace: string;
  name: string;
  change: ChangeKind;
  /** Dotted paths of the leaf fields that differ (`data.version`, `spec.replicas`). */
  fields: string[];
  /** YAML (sorted keys) of each side; empty for the absent side. */
  liveYaml: string;
  targetYaml: string;
}

type Doc = Record<string, unknown>;

function parse(raw: string | undefined): Doc | null {
  if (!raw) return null;
  try {
    const value: unknown = JSON.parse(raw);
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Doc) : null;
  } catch {
    return null;
  }
}

/** (live, target) as the CLI picks them. */
export function sides(item: ResourceDiffItem): [Doc | null, Doc | null] {
  const live = parse("normalizedLiveState" in item ? item.normalizedLiveState : item.liveState);
  const target = parse("predictedLiveState" in item ? item.predictedLiveState : item.targetState);
  return [live, target];
}

function isObject(value: unknown): value is Doc {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Leaf paths under `value` (a leaf's own path when it is not a container). */
function leaves(value: unknown, path: string): string[] {
  if (isObject(value)) {
    const keys = Object.keys(value);
    return keys.length ? keys.flatMap((k) => leaves(value[k], path ? `${path}.${k}` : k)) : [path];
  }
  if (Array.isArray(value)) {
    return value.length ? value.flatMap((v, i) => leaves(v, `${path}[${i}]`)) : [path];
  }
  return [path];
}

/** Paths of the leaves that differ between two documents (lists of another length: the list). */
export function changedFields(live: unknown, target: unknown, path = ""): string[] {
  if (isObject(live) && isObject(target)) {
    const keys = [...new Set([...Object.keys(live), ...Object.keys(target)])].sort();
    return keys.flatMap((k) => {
      const sub = path ? `${path}.${k}` : k;
      if (!(k in live)) return leaves(target[k], sub);
      if (!(k in target)) return leaves(live[k], sub);
      return changedFields(live[k], target[k], sub);
    });
  }
  if (Array.isArray(live) && Array.isArray(target) && live.length === target.length) {
    return live.flatMap((v, i) => changedFields(v, target[i], `${path}[${i}]`));
  }
  return JSON.stringify(live) === JSON.stringify(target) ? [] : [path || "(whole object)"];
}

function yamlOf(doc: Doc | null): string {
  return doc ? stringify(doc, { sortMapEntries: true }) : "";
}

/** The resources a sync of that revision would touch, in the API's order. */
export function changes(answer: ServerSideDiff): ResourceChange[] {
  const out: ResourceChange[] = [];
  for (const item of answer.items ?? []) {
    if (item.hook) continue;
    const [live, target] = sides(item);
    if (!live && !target) continue;
    let change: ChangeKind;
    if (!live) change = "added";
    else if (!target) change = "removed";
    else if (item.modified) change = "changed";
    else continue;
    const group = item.group ?? "";
    const namespace = item.namespace ?? "";
    out.push({
      key: `${group}/${item.kind}/${namespace}/${item.name}`,
      group,
      kind: item.kind,
      namespace,
      name: item.name,
      change,
      fields: change === "changed" ? changedFields(live, target) : [],
      liveYaml: yamlOf(live),
      targetYaml: yamlOf(target),
    });
  }
  return out;
}

/** "Kind namespace/name" (group shown when not core) as a heading. */
export function resourceTitle(change: Pick<ResourceChange, "group" | "kind" | "namespace" | "name">): string {
  const kind = change.group ? `${change.group}/${change.kind}` : change.kind;
  return `${kind} ${change.namespace ? `${change.namespace}/` : ""}${change.name}`;
}
