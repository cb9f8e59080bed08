/**
 * Typed views of the admin API's JSON (Argo CD's `v1alpha1` shapes) that the settings pages
 * read and write. Unnamed fields are kept (`[key: string]: unknown`) so that an object saved
 * back differs only in what the user changed.
 */

export type ConnectionStatus = "Successful" | "Failed" | "Unknown";

export interface ConnectionState {
  status?: ConnectionStatus;
  message?: string;
  attemptedAt?: string;
}

export type RepoType = "git" | "helm";

/** A repository as the API answers it: never a password, key or certificate. */
export interface Repository {
  repo: string;
  type?: RepoType;
  name?: string;
  project?: string;
  username?: string;
  insecure?: boolean;
  enableOCI?: boolean;
  inheritedCreds?: boolean;
  connectionState?: ConnectionState;
  [key: string]: unknown;
}

/** A credential template (`repocreds`), without secrets. */
export interface RepoCreds {
  url: string;
  username?: string;
  type?: RepoType;
  [key: string]: unknown;
}

export interface Cluster {
  server: string;
  name: string;
  namespaces?: string[];
  project?: string;
  serverVersion?: string;
  connectionState?: ConnectionState;
  info?: { connectionState?: ConnectionState; serverVersion?: string; applicationsCount?: number };
  [key: string]: unknown;
}

export interface ListOf<T> {
  items?: T[] | null;
}

export interface Destination {
  server?: string;
  name?: string;
  namespace?: string;
  [key: string]: unknown;
}

export interface GroupKind {
  group: string;
  kind: string;
}

export interface JwtToken {
  iat: number | string;
  exp?: number | string;
  id?: string;
}

export interface ProjectRole {
  name: string;
  description?: string;
  policies?: string[];
  groups?: string[];
  jwtTokens?: JwtToken[];
  [key: string]: unknown;
}

export type WindowKind = "allow" | "deny";

export interface SyncWindow {
  kind: WindowKind;
  schedule: string;
  duration: string;
  applications?: string[];
  namespaces?: string[];
  clusters?: string[];
  manualSync?: boolean;
  timeZone?: string;
  [key: string]: unknown;
}

/** The four resource lists of a project, by their spec field names. */
export const RESOURCE_LISTS = [
  "clusterResourceWhitelist",
  "clusterResourceBlacklist",
  "namespaceResourceWhitelist",
  "namespaceResourceBlacklist",
] as const;
export type ResourceListField = (typeof RESOURCE_LISTS)[number];

export type ProjectSpec = {
  description?: string;
  sourceRepos?: string[];
  destinations?: Destination[];
  roles?: ProjectRole[];
  syncWindows?: SyncWindow[];
  [key: string]: unknown;
} & Partial<Record<ResourceListField, GroupKind[]>>;

export interface AppProject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; resourceVersion?: string; [key: string]: unknown };
  spec: ProjectSpec;
  status?: { jwtTokensByRole?: Record<string, { items?: JwtToken[] }>; [key: string]: unknown };
  [key: string]: unknown;
}

export interface AccountToken {
  id: string;
  issuedAt: number | string;
  expiresAt?: number | string;
}

export interface Account {
  name: string;
  enabled: boolean;
  capabilities?: string[];
  tokens?: AccountToken[];
}

/** Seconds since the epoch (int64 may come as text) as a local date and time. */
export function epochText(value: number | string | undefined): string {
  const seconds = Number(value);
  if (!value || !Number.isFinite(seconds) || seconds <= 0) return "never";
  return new Date(seconds * 1000).toLocaleString();
}

/** A path segment for a URL-shaped id (repository URL, cluster server). */
export function segment(value: string): string {
  return encodeURIComponent(value);
}

/** "a, b ,c" → ["a", "b", "c"]; blanks dropped. */
export function splitList(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((part) => part.trim())
    .filter(Boolean);
}
