/**
 * The JSON merge patch (RFC 7386) that turns `before` into `after`: what the live manifest
 * editor sends (`patchType=merge`, as Argo CD's UI does), so only the fields the user
 * changed reach the cluster and nothing else of the object is rewritten. Maps are patched
 * key by key (a removed key is `null`); lists and scalars are replaced whole, as the RFC
 * says. `null` when nothing changed.
 */
type Json = unknown;
type JsonMap = Record<string, Json>;

function isMap(value: Json): value is JsonMap {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function same(a: Json, b: Json): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function mergePatch(before: Json, after: Json): Json | null {
  if (!isMap(before) || !isMap(after)) return same(before, after) ? null : after;
  const patch: JsonMap = {};
  for (const key of Object.keys(before)) {
    if (!(key in after)) patch[key] = null;
  }
  for (const [key, value] of Object.entries(after)) {
    if (!(key in before)) {
      patch[key] = value;
      continue;
    }
    const sub = isMap(before[key]) && isMap(value) ? mergePatch(before[key], value) : same(before[key], value) ? null : value;
    if (sub !== null) patch[key] = sub;
  }
  return Object.keys(patch).length ? patch : null;
}
