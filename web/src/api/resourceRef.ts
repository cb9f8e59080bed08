/**
 * One resource of an app, as the API's `resource` endpoints and deep links name it.
 * Deep link: `?resource=<group>/<Kind>/<namespace>/<name>&tab=<tab>` (empty group and
 * namespace stay as empty segments: `/Service/default/web`); Argo CD's own
 * `?node=<group>/<Kind>/<namespace>/<name>/0` is read too, so its links keep working.
 */
export interface ResourceRef {
  group: string;
  version?: string;
  kind: string;
  namespace: string;
  name: string;
}

export function refKey(ref: ResourceRef): string {
  return [ref.group, ref.kind, ref.namespace, ref.name].join("/");
}

export function parseRefKey(value: string | null): ResourceRef | null {
  if (!value) return null;
  const parts = value.split("/");
  if (parts.length === 5 && /^\d+$/.test(parts[4])) parts.pop(); // Argo CD's `node` form
  if (parts.length !== 4 || !parts[1] || !parts[3]) return null;
  const [group, kind, namespace, name] = parts;
  return { group, kind, namespace, name };
}

/** The resource a page's query names (`resource`, else Argo CD's `node`). */
export function refFromQuery(query: URLSearchParams): ResourceRef | null {
  return parseRefKey(query.get("resource")) ?? parseRefKey(query.get("node"));
}

export function sameRef(a: ResourceRef, b: ResourceRef): boolean {
  return refKey(a) === refKey(b);
}
