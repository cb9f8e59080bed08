/**
 * Kubernetes label selectors (`a=b, c!=d, e, !f, g in (x,y), h notin (z)`), parsed once and
 * matched against each app's labels. The server filters by the same `selector` query
 * parameter; the list applies it too so that stream events outside it are dropped.
 */
export type Requirement =
  | { op: "eq"; key: string; values: string[] }
  | { op: "ne"; key: string; values: string[] }
  | { op: "exists"; key: string }
  | { op: "absent"; key: string };

export type ParsedSelector = { ok: true; requirements: Requirement[] } | { ok: false; error: string };

/** Split on commas outside parentheses. */
function clauses(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of text) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      out.push(current);
      current = "";
    } else current += ch;
  }
  out.push(current);
  return out.map((c) => c.trim()).filter((c) => c !== "");
}

const KEY = /^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$/;

export function parseSelector(text: string): ParsedSelector {
  const requirements: Requirement[] = [];
  for (const clause of clauses(text)) {
    const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(clause);
    const cmp = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(clause);
    let requirement: Requirement;
    if (set) {
      const values = set[3].split(",").map((v) => v.trim()).filter((v) => v !== "");
      requirement = { op: set[2] === "in" ? "eq" : "ne", key: set[1], values };
    } else if (cmp) {
      requirement = { op: cmp[2] === "!=" ? "ne" : "eq", key: cmp[1], values: [cmp[3]] };
    } else if (clause.startsWith("!")) {
      requirement = { op: "absent", key: clause.slice(1).trim() };
    } else {
      requirement = { op: "exists", key: clause };
    }
    if (!KEY.test(requirement.key)) return { ok: false, error: `invalid label selector: "${clause}"` };
    requirements.push(requirement);
  }
  return { ok: true, requirements };
}

export function matchesSelector(requirements: Requirement[], labels: Record<string, string>): boolean {
  return requirements.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    switch (r.op) {
      case "exists":
        return has;
      case "absent":
        return !has;
      case "eq":
        return has && r.values.includes(labels[r.key]);
      case "ne":
        return !has || !r.values.includes(labels[r.key]);
    }
  });
}
