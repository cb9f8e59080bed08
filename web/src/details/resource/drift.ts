/**
 * Drift forensics in the browser: which field manager last changed each field where the
 * live object differs from the desired one, read from the live object's
 * `metadata.managedFields`. The same rules as the controller's (src/kapstan/engine/drift.py,
 * whose table of cases the tests replay):
 *
 * - a path is walked down each manager's fieldsV1 tree and the live object together
 *   (`f:<key>`, list items by `i:<n>`, `k:<json>` keys or `v:<json>` values);
 * - a manager owns a path when the walk reaches an empty node (an atomic value) or ends on a
 *   node holding "."; only when nobody owns it so do managers of some children count;
 * - kapstan's own applier (`kapstan-controller`) is never blamed; among the rest the latest
 *   `time` wins (RFC 3339 UTC strings sort in time order, missing = oldest), ties going to
 *   the alphabetically first manager;
 * - fields absent from live, malformed pointers and missing managedFields give no record.
 */

export interface DriftRecord {
  /** JSON pointer of the drifted field. */
  path: string;
  manager: string;
  operation: string;
  /** "" when the apiserver recorded none (the scale subresource). */
  time: string;
  /** "" for the main resource, else e.g. "scale" or "status". */
  subresource: string;
}

export const OWN_MANAGERS: readonly string[] = ["kapstan-controller"];

type Json = unknown;
type Tree = Record<string, Json>;

interface Entry {
  manager: string;
  operation: string;
  time: string;
  subresource: string;
  fields: Tree;
}

const NONE = 0;
const PARTIAL = 1;
const FULL = 2;

function isMap(value: Json): value is Tree {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function equal(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  if (isMap(a) && isMap(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && equal(a[k], b[k]));
  }
  return false;
}

/** Split a JSON pointer into unescaped tokens; null when malformed. */
export function parsePointer(pointer: string): string[] | null {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) return null;
  return pointer.slice(1).split("/").map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function escapeToken(token: string): string {
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}

/** `/spec/containers/0/image` → `spec.containers[0].image` (keys holding "." or "/" bracketed). */
export function dottedPath(pointer: string): string {
  let out = "";
  for (const token of parsePointer(pointer) ?? []) {
    if (/^\d+$/.test(token) || token.includes(".") || token.includes("/")) out += `[${token}]`;
    else out += out ? `.${token}` : token;
  }
  return out;
}

/** Whether a list item matches a fieldsV1 `k:<json>` key or `v:<json>` value. */
export function listItemMatches(item: Json, selector: string): boolean {
  const prefix = selector.slice(0, 2);
  let wanted: Json;
  try {
    wanted = JSON.parse(selector.slice(2));
  } catch {
    return false;
  }
  if (prefix === "k:") return isMap(item) && isMap(wanted) && Object.entries(wanted).every(([k, v]) => equal(item[k], v));
  return prefix === "v:" && equal(item, wanted);
}

function entriesOf(live: Json): Entry[] {
  const meta = isMap(live) ? live.metadata : undefined;
  const raw = isMap(meta) ? meta.managedFields : undefined;
  if (!Array.isArray(raw)) return [];
  const entries: Entry[] = [];
  for (const item of raw) {
    if (!isMap(item)) continue;
    const fields = item.fieldsV1;
    if ((item.fieldsType ?? "FieldsV1") !== "FieldsV1" || !isMap(fields)) continue;
    if (Object.keys(fields).length === 0) continue; // would read as owning the whole object
    entries.push({
      manager: typeof item.manager === "string" ? item.manager : "",
      operation: String(item.operation ?? ""),
      time: String(item.time ?? ""),
      subresource: String(item.subresource ?? ""),
      fields,
    });
  }
  return entries;
}

function child(node: Tree, value: Json, token: string): [Tree, Json] | null {
  if (isMap(value)) {
    const sub = node[`f:${token}`];
    return token in value && isMap(sub) ? [sub, value[token]] : null;
  }
  if (!(Array.isArray(value) && /^\d+$/.test(token) && Number(token) < value.length)) return null;
  const item = value[Number(token)];
  const byIndex = node[`i:${token}`];
  if (isMap(byIndex)) return [byIndex, item];
  for (const [key, sub] of Object.entries(node)) {
    if ((key.startsWith("k:") || key.startsWith("v:")) && isMap(sub) && listItemMatches(item, key)) return [sub, item];
  }
  return null;
}

function ownership(fields: Tree, live: Json, tokens: string[]): number {
  let node = fields;
  let value = live;
  for (const token of tokens) {
    if (Object.keys(node).length === 0) return FULL; // an atomic value, live or not below
    const found = child(node, value, token);
    if (found === null) return NONE;
    [node, value] = found;
  }
  return Object.keys(node).length === 0 || "." in node ? FULL : PARTIAL;
}

function owner(entries: Entry[], live: Json, tokens: string[], own: readonly string[]): Entry | null {
  const scored = entries.map((entry) => [ownership(entry.fields, live, tokens), entry] as const);
  const best = Math.max(NONE, ...scored.map(([score]) => score));
  if (best === NONE) return null;
  // Own managers still set the best strength: a partial owner is not blamed for a field
  // that kapstan's applier fully owns.
  const candidates = scored.filter(([score, e]) => score === best && !own.includes(e.manager)).map(([, e]) => e);
  if (candidates.length === 0) return null;
  const latest = candidates.reduce((max, e) => (e.time > max ? e.time : max), candidates[0].time);
  const newest = candidates.filter((e) => e.time === latest);
  return newest.reduce((first, e) => (e.manager < first.manager ? e : first), newest[0]);
}

/** One record per attributable distinct path, sorted by path. */
export function driftRecords(live: Json, paths: Iterable<string>, own: readonly string[] = OWN_MANAGERS): DriftRecord[] {
  const entries = entriesOf(live);
  const records: DriftRecord[] = [];
  for (const path of [...new Set(paths)].sort()) {
    const tokens = parsePointer(path);
    if (!tokens || tokens.length === 0) continue;
    const found = owner(entries, live, tokens, own);
    if (found) records.push({ path, manager: found.manager, operation: found.operation, time: found.time, subresource: found.subresource });
  }
  return records;
}

/** `spec.replicas changed by kubectl (Update, scale subresource)`, joined by "; ". */
export function describe(records: DriftRecord[]): string {
  return records
    .map((r) => {
      const how = r.operation + (r.subresource ? `, ${r.subresource} subresource` : "");
      return `${dottedPath(r.path)} changed by ${r.manager} (${how})${r.time ? ` at ${r.time}` : ""}`;
    })
    .join("; ");
}

/**
 * The JSON pointers where `live` and `desired` differ, down to the leaves: a map key on
 * one side only, a scalar that changed, a list item past the other list's end. Given the
 * normalized live and predicted live states, these are the fields a sync would change.
 */
export function differingPaths(live: Json, desired: Json, prefix = ""): string[] {
  if (equal(live, desired)) return [];
  if (isMap(live) && isMap(desired)) {
    const keys = [...new Set([...Object.keys(live), ...Object.keys(desired)])].sort();
    return keys.flatMap((key) => differingPaths(live[key], desired[key], `${prefix}/${escapeToken(key)}`));
  }
  if (Array.isArray(live) && Array.isArray(desired)) {
    const length = Math.max(live.length, desired.length);
    return Array.from({ length }, (_, i) => differingPaths(live[i], desired[i], `${prefix}/${i}`)).flat();
  }
  return [prefix];
}
