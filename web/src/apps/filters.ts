/**
 * The list's filters: what they are, how they read from and write to the URL query (so the
 * back button and shared links restore them), which of them the server applies (`projects`,
 * `selector`, `repo`: fewer apps cross the wire), and the pure matching the list runs on every
 * app and stream event. Names in the URL follow Argo CD's UI (`proj`, `sync`, `health`…).
 */
import type { HealthStatusCode, SyncStatusCode } from "../api/types";
import { normalizeRepo, type AppView } from "./appView";
import { matchesSelector, parseSelector } from "./selector";

export const SYNC_CODES: SyncStatusCode[] = ["Synced", "OutOfSync", "Unknown"];
export const HEALTH_CODES: HealthStatusCode[] = [
  "Healthy",
  "Progressing",
  "Degraded",
  "Suspended",
  "Missing",
  "Unknown",
];
export type AutoSync = "any" | "on" | "off";

export interface AppFilters {
  search: string;
  projects: string[];
  sync: SyncStatusCode[];
  health: HealthStatusCode[];
  /** A label selector (`team=a,env!=prod`). */
  labels: string;
  clusters: string[];
  namespaces: string[];
  repo: string;
  autoSync: AutoSync;
  favourites: boolean;
}

export const NO_FILTERS: AppFilters = {
  search: "",
  projects: [],
  sync: [],
  health: [],
  labels: "",
  clusters: [],
  namespaces: [],
  repo: "",
  autoSync: "any",
  favourites: false,
};

function listOf(query: URLSearchParams, key: string): string[] {
  return query.getAll(key).flatMap((v) => v.split(",")).filter((v) => v !== "");
}

function oneOf<T extends string>(values: string[], allowed: readonly T[]): T[] {
  return values.filter((v): v is T => (allowed as readonly string[]).includes(v));
}

export function filtersFromQuery(query: URLSearchParams): AppFilters {
  const auto = query.get("autoSync");
  return {
    search: query.get("search") ?? "",
    projects: listOf(query, "proj"),
    sync: oneOf(listOf(query, "sync"), SYNC_CODES),
    health: oneOf(listOf(query, "health"), HEALTH_CODES),
    labels: query.get("labels") ?? "",
    clusters: listOf(query, "cluster"),
    namespaces: listOf(query, "namespace"),
    repo: query.get("repo") ?? "",
    autoSync: auto === "on" || auto === "off" ? auto : "any",
    favourites: query.get("showFavorites") === "true",
  };
}

/** Only what differs from no filter, so an unfiltered list has a clean URL. */
export function filtersToQuery(filters: AppFilters): URLSearchParams {
  const query = new URLSearchParams();
  if (filters.search) query.set("search", filters.search);
  for (const [key, values] of [
    ["proj", filters.projects],
    ["sync", filters.sync],
    ["health", filters.health],
    ["cluster", filters.clusters],
    ["namespace", filters.namespaces],
  ] as const) {
    for (const value of values) query.append(key, value);
  }
  if (filters.labels) query.set("labels", filters.labels);
  if (filters.repo) query.set("repo", filters.repo);
  if (filters.autoSync !== "any") query.set("autoSync", filters.autoSync);
  if (filters.favourites) query.set("showFavorites", "true");
  return query;
}

/** The query parameters of `GET api/v1/applications` and its stream that filter server-side. */
export function serverQuery(filters: AppFilters): Record<string, string | string[] | undefined> {
  const selector = parseSelector(filters.labels);
  return {
    projects: filters.projects.length ? filters.projects : undefined,
    selector: selector.ok && filters.labels.trim() ? filters.labels.trim() : undefined,
    repo: filters.repo.trim() || undefined,
  };
}

/** A matcher for `filters` (built once per change, then run per app). */
export function matcher(
  filters: AppFilters,
  favourites: ReadonlySet<string> = new Set(),
): (app: AppView) => boolean {
  const search = filters.search.trim().toLowerCase();
  const projects = new Set(filters.projects);
  const sync = new Set<string>(filters.sync);
  const health = new Set<string>(filters.health);
  const clusters = new Set(filters.clusters);
  const namespaces = new Set(filters.namespaces);
  const repo = normalizeRepo(filters.repo);
  const selector = parseSelector(filters.labels);
  const requirements = selector.ok ? selector.requirements : [];
  return (app) =>
    (!search || app.name.toLowerCase().includes(search)) &&
    (!projects.size || projects.has(app.project)) &&
    (!sync.size || sync.has(app.sync)) &&
    (!health.size || health.has(app.health)) &&
    (!clusters.size || clusters.has(app.cluster) || clusters.has(app.server)) &&
    (!namespaces.size || namespaces.has(app.destNamespace)) &&
    (!repo || normalizeRepo(app.repo) === repo) &&
    (filters.autoSync === "any" || app.autoSync === (filters.autoSync === "on")) &&
    (!filters.favourites || favourites.has(app.key)) &&
    matchesSelector(requirements, app.labels);
}

export function filterApps(
  apps: readonly AppView[],
  filters: AppFilters,
  favourites: ReadonlySet<string> = new Set(),
): AppView[] {
  const keep = matcher(filters, favourites);
  return apps.filter(keep);
}

export interface StatusCounts {
  sync: Record<SyncStatusCode, number>;
  health: Record<HealthStatusCode, number>;
}

export function countStatuses(apps: readonly AppView[]): StatusCounts {
  const sync = Object.fromEntries(SYNC_CODES.map((c) => [c, 0])) as Record<SyncStatusCode, number>;
  const health = Object.fromEntries(HEALTH_CODES.map((c) => [c, 0])) as Record<HealthStatusCode, number>;
  for (const app of apps) {
    sync[app.sync] = (sync[app.sync] ?? 0) + 1;
    health[app.health] = (health[app.health] ?? 0) + 1;
  }
  return { sync, health };
}

/** The distinct values of one field, sorted, for a filter's choices. */
export function distinct(apps: readonly AppView[], pick: (app: AppView) => string): string[] {
  const found = new Set<string>();
  for (const app of apps) {
    const value = pick(app);
    if (value) found.add(value);
  }
  return [...found].sort();
}
