/**
 * What the list shows of an Application, read once per app: the list and the filters work on
 * these flat views, never on the raw JSON, so both agree on what "repo" or "cluster" means.
 */
import type { Application, HealthStatusCode, SyncStatusCode } from "../api/types";

export interface AppView {
  /** `<namespace>/<name>`: unique across app namespaces, the key of selection and favourites. */
  key: string;
  name: string;
  namespace: string;
  project: string;
  sync: SyncStatusCode;
  health: HealthStatusCode;
  /** An operation is running (Argo CD's "Syncing"). */
  syncing: boolean;
  repo: string;
  path: string;
  revision: string;
  /** The destination cluster as the user wrote it: its name, else its URL. */
  cluster: string;
  server: string;
  destNamespace: string;
  autoSync: boolean;
  labels: Record<string, string>;
  /** When the last operation finished (ISO time), "" when none did. */
  lastSync: string;
  operationPhase: string;
  app: Application;
}

export function appKey(app: Application): string {
  return `${app.metadata.namespace ?? ""}/${app.metadata.name}`;
}

export function viewOf(app: Application): AppView {
  const spec = app.spec ?? { project: "", destination: {} };
  const source = spec.source ?? spec.sources?.[0];
  const status = app.status ?? {};
  const operation = status.operationState;
  const automated = spec.syncPolicy?.automated;
  const history = status.history ?? [];
  const dest = spec.destination ?? {};
  return {
    key: appKey(app),
    name: app.metadata.name,
    namespace: app.metadata.namespace ?? "",
    project: spec.project || "default",
    sync: status.sync?.status ?? "Unknown",
    health: status.health?.status ?? "Unknown",
    syncing:
      app.operation !== undefined ||
      operation?.phase === "Running" ||
      operation?.phase === "Terminating",
    repo: source?.repoURL ?? "",
    path: source?.path ?? source?.chart ?? "",
    revision: source?.targetRevision || "HEAD",
    cluster: dest.name || dest.server || "",
    server: dest.server ?? "",
    destNamespace: dest.namespace ?? "",
    // `enabled: false` turns automation off while keeping its settings (Argo CD 3).
    autoSync: automated !== undefined && automated !== null && automated.enabled !== false,
    labels: app.metadata.labels ?? {},
    lastSync: operation?.finishedAt ?? history[history.length - 1]?.deployedAt ?? "",
    operationPhase: operation?.phase ?? "",
    app,
  };
}

/** Repository URLs compared as the server compares them (case, `.git`, trailing slash). */
export function normalizeRepo(url: string): string {
  return url.trim().toLowerCase().replace(/\/+$/, "").replace(/\.git$/, "");
}
