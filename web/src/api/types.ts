/**
 * Typed views over the API's JSON (Argo CD's `v1alpha1` shapes). Only the fields the UI
 * reads are named; everything else is kept as it came (`[key: string]: unknown`), so an
 * object edited in the UI goes back unchanged apart from what the user changed.
 */

export type SyncStatusCode = "Synced" | "OutOfSync" | "Unknown";
export type HealthStatusCode =
  | "Healthy"
  | "Progressing"
  | "Degraded"
  | "Suspended"
  | "Missing"
  | "Unknown";
export type OperationPhase = "Running" | "Terminating" | "Failed" | "Error" | "Succeeded";

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  [key: string]: unknown;
}

export interface ApplicationSource {
  repoURL: string;
  path?: string;
  targetRevision?: string;
  chart?: string;
  helm?: { valueFiles?: string[]; values?: string; parameters?: { name: string; value: string }[]; [key: string]: unknown };
  kustomize?: { images?: string[]; [key: string]: unknown };
  [key: string]: unknown;
}

export interface SyncPolicy {
  automated?: { prune?: boolean; selfHeal?: boolean; allowEmpty?: boolean; enabled?: boolean };
  syncOptions?: string[];
  retry?: { limit?: number; backoff?: { duration?: string; factor?: number; maxDuration?: string } };
  [key: string]: unknown;
}

export interface ApplicationSpec {
  project: string;
  source?: ApplicationSource;
  sources?: ApplicationSource[];
  destination: { server?: string; name?: string; namespace?: string };
  syncPolicy?: SyncPolicy;
  [key: string]: unknown;
}

export interface ResourceStatus {
  group?: string;
  version?: string;
  kind: string;
  namespace?: string;
  name: string;
  status?: SyncStatusCode;
  health?: { status?: HealthStatusCode; message?: string };
  hook?: boolean;
  requiresPruning?: boolean;
  [key: string]: unknown;
}

export interface ResourceResult {
  group?: string;
  version?: string;
  kind: string;
  namespace?: string;
  name: string;
  status?: string;
  message?: string;
  hookType?: string;
  hookPhase?: string;
  syncPhase?: string;
  [key: string]: unknown;
}

export interface OperationState {
  operation: Record<string, unknown>;
  phase: OperationPhase;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  syncResult?: { resources?: ResourceResult[]; revision?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface RevisionHistory {
  id: number;
  revision?: string;
  revisions?: string[];
  deployedAt?: string;
  deployStartedAt?: string;
  source?: ApplicationSource;
  initiatedBy?: { username?: string; automated?: boolean };
  [key: string]: unknown;
}

export interface ApplicationStatus {
  sync?: { status?: SyncStatusCode; revision?: string; revisions?: string[]; [key: string]: unknown };
  health?: { status?: HealthStatusCode; message?: string };
  resources?: ResourceStatus[];
  operationState?: OperationState;
  history?: RevisionHistory[];
  conditions?: { type: string; message: string; lastTransitionTime?: string }[];
  reconciledAt?: string;
  summary?: { images?: string[]; externalURLs?: string[] };
  [key: string]: unknown;
}

export interface Application {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: ApplicationSpec;
  status?: ApplicationStatus;
  operation?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ApplicationList {
  items: Application[] | null;
  metadata?: { resourceVersion?: string };
}

export interface ApplicationWatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED";
  application: Application;
}

export interface ResourceNode {
  group?: string;
  version?: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  parentRefs?: { group?: string; kind: string; namespace?: string; name: string; uid?: string }[];
  health?: { status?: HealthStatusCode; message?: string };
  info?: { name: string; value: string }[];
  networkingInfo?: Record<string, unknown>;
  images?: string[];
  createdAt?: string;
  resourceVersion?: string;
  [key: string]: unknown;
}

export interface ApplicationTree {
  nodes?: ResourceNode[];
  orphanedNodes?: ResourceNode[];
  hosts?: { name: string; [key: string]: unknown }[];
}

export interface UserInfo {
  loggedIn: boolean;
  username?: string;
  iss?: string;
  groups?: string[];
}
