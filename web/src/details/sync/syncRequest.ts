/**
 * The sync panel's choices → Argo CD's `ApplicationSyncRequest` body (as its UI sends it):
 * apply only is the `apply` strategy, otherwise `hook`, both carrying `force`; replace and
 * server-side apply are sync options; `resources` is left out when every resource is chosen
 * (a full sync, so prune can run); retry becomes `retryStrategy`.
 */
import type { Application, ResourceStatus } from "../../api/types";

export const SYNC_OPTIONS = [
  "CreateNamespace=true",
  "PruneLast=true",
  "ApplyOutOfSyncOnly=true",
  "Validate=false",
  "RespectIgnoreDifferences=true",
  "PrunePropagationPolicy=foreground",
  "PrunePropagationPolicy=background",
  "PrunePropagationPolicy=orphan",
] as const;
export type SyncOption = (typeof SYNC_OPTIONS)[number];

export interface RetryChoice {
  enabled: boolean;
  limit: number;
  duration: string;
  factor: number;
  maxDuration: string;
}

export interface SyncChoices {
  prune: boolean;
  dryRun: boolean;
  applyOnly: boolean;
  force: boolean;
  replace: boolean;
  serverSideApply: boolean;
  retry: RetryChoice;
  options: SyncOption[];
  /** Keys (resourceKey) of the chosen resources; null: all of them, as they are when sent. */
  resources: string[] | null;
}

export interface SyncResource {
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

export interface SyncRequestBody {
  revision?: string;
  prune: boolean;
  dryRun: boolean;
  strategy: { apply: { force: boolean } } | { hook: { force: boolean } };
  resources?: SyncResource[];
  syncOptions?: { items: string[] };
  retryStrategy?: { limit: number; backoff: { duration: string; factor: number; maxDuration: string } };
  appNamespace?: string;
}

export function resourceKey(r: { group?: string; kind: string; namespace?: string; name: string }): string {
  return [r.group ?? "", r.kind, r.namespace ?? "", r.name].join("/");
}

/** Managed resources a sync can name (hooks are run, not chosen). */
export function syncableResources(app: Application): ResourceStatus[] {
  return (app.status?.resources ?? []).filter((r) => !r.hook);
}

export function outOfSyncKeys(app: Application): string[] {
  return syncableResources(app).filter((r) => r.status === "OutOfSync").map(resourceKey);
}

/** The form's starting point: the app's own sync options and retry, every resource chosen. */
export function defaultChoices(app: Application): SyncChoices {
  const own = app.spec.syncPolicy?.syncOptions ?? [];
  const retry = app.spec.syncPolicy?.retry;
  return {
    prune: false,
    dryRun: false,
    applyOnly: false,
    force: false,
    replace: own.includes("Replace=true"),
    serverSideApply: own.includes("ServerSideApply=true"),
    retry: {
      enabled: retry !== undefined,
      limit: retry?.limit ?? 2,
      duration: retry?.backoff?.duration ?? "5s",
      factor: retry?.backoff?.factor ?? 2,
      maxDuration: retry?.backoff?.maxDuration ?? "3m",
    },
    options: SYNC_OPTIONS.filter((o) => own.includes(o)),
    resources: null,
  };
}

export function syncRequest(app: Application, choices: SyncChoices): SyncRequestBody {
  const all = syncableResources(app);
  const chosen = new Set(choices.resources ?? all.map(resourceKey));
  const items: string[] = [...choices.options];
  if (choices.replace) items.push("Replace=true");
  if (choices.serverSideApply) items.push("ServerSideApply=true");
  const body: SyncRequestBody = {
    revision: app.spec.source?.targetRevision,
    prune: choices.prune,
    dryRun: choices.dryRun,
    strategy: choices.applyOnly ? { apply: { force: choices.force } } : { hook: { force: choices.force } },
    appNamespace: app.metadata.namespace,
  };
  if (all.some((r) => !chosen.has(resourceKey(r)))) {
    body.resources = all
      .filter((r) => chosen.has(resourceKey(r)))
      .map((r) => ({ group: r.group ?? "", kind: r.kind, namespace: r.namespace ?? "", name: r.name }));
  }
  if (items.length) body.syncOptions = { items };
  if (choices.retry.enabled) {
    const { limit, duration, factor, maxDuration } = choices.retry;
    body.retryStrategy = { limit, backoff: { duration, factor, maxDuration } };
  }
  return body;
}

/** Why the form cannot be sent, or null. */
export function syncProblem(app: Application, choices: SyncChoices): string | null {
  if (syncableResources(app).length > 0 && choices.resources?.length === 0) return "Choose at least one resource.";
  if (choices.retry.enabled && (!Number.isInteger(choices.retry.limit) || choices.retry.limit < 0))
    return "Retry limit must be a whole number, 0 or more.";
  if (choices.retry.enabled && !/^\d+(s|m|h)$/.test(choices.retry.duration)) return 'Backoff duration must look like "5s", "2m" or "1h".';
  if (choices.retry.enabled && !/^\d+(s|m|h)$/.test(choices.retry.maxDuration)) return 'Max duration must look like "3m".';
  return null;
}
