/**
 * The API calls of the resource panel, typed. A resource is named as the `resource`
 * routes read it (`namespace`, `resourceName`, `version`, `group`, `kind`, plus the app's
 * `appNamespace`); manifests arrive as JSON text with Secret values masked by the server —
 * the panel never asks for raw Secret data.
 */
import { api, type Query } from "../../api/client";
import type { ResourceRef } from "../../api/resourceRef";
import type { Application, ApplicationTree } from "../../api/types";

/** A Kubernetes object as JSON (only what the panel reads is named). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: string;
    ownerReferences?: { kind: string; name: string; apiVersion?: string; controller?: boolean }[];
    managedFields?: unknown[];
    [key: string]: unknown;
  };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

/** One `ResourceDiff` of `managed-resources` (states as JSON text). */
export interface ManagedResource {
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

export interface ResourceAction {
  name: string;
  displayName?: string;
  disabled?: boolean;
  iconClass?: string;
}

export interface KubeEvent {
  metadata: { uid?: string; name: string };
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  source?: { component?: string };
}

/** Foreground waits for dependents; background is the API's `force` (no grace period). */
export type DeletePolicy = "foreground" | "background" | "orphan";

const appPath = (app: Application, rest: string) => `applications/${encodeURIComponent(app.metadata.name)}/${rest}`;

export function refQuery(app: Application, ref: ResourceRef): Query {
  return {
    namespace: ref.namespace,
    resourceName: ref.name,
    version: ref.version ?? "",
    group: ref.group,
    kind: ref.kind,
    appNamespace: app.metadata.namespace,
  };
}

/** A JSON text of the API, or null when empty ("null" is what a missing state reads as). */
export function parseState(text: string | undefined): KubeObject | null {
  if (!text) return null;
  const parsed = JSON.parse(text) as KubeObject | null;
  return parsed && typeof parsed === "object" ? parsed : null;
}

export const resourceApi = {
  async live(app: Application, ref: ResourceRef, signal?: AbortSignal): Promise<KubeObject> {
    const answer = await api.get<{ manifest: string }>(appPath(app, "resource"), refQuery(app, ref), signal);
    return parseState(answer.manifest) ?? {};
  },
  /** Sends a JSON merge patch (the patch document as a JSON string, grpc-gateway's body). */
  async patch(app: Application, ref: ResourceRef, patch: unknown): Promise<KubeObject> {
    const query = { ...refQuery(app, ref), patchType: "application/merge-patch+json" };
    const answer = await api.post<{ manifest: string }>(appPath(app, "resource"), JSON.stringify(patch), query);
    return parseState(answer.manifest) ?? {};
  },
  remove(app: Application, ref: ResourceRef, policy: DeletePolicy): Promise<unknown> {
    return api.delete(appPath(app, "resource"), {
      ...refQuery(app, ref),
      force: policy === "background" ? true : undefined,
      orphan: policy === "orphan" ? true : undefined,
    });
  },
  async managed(app: Application, ref: ResourceRef, signal?: AbortSignal): Promise<ManagedResource | null> {
    const query = { namespace: ref.namespace, name: ref.name, group: ref.group, kind: ref.kind };
    const answer = await api.get<{ items?: ManagedResource[] | null }>(appPath(app, "managed-resources"), query, signal);
    return (answer.items ?? []).find((item) => item.kind === ref.kind && item.name === ref.name) ?? null;
  },
  tree(app: Application, signal?: AbortSignal): Promise<ApplicationTree> {
    return api.get<ApplicationTree>(appPath(app, "resource-tree"), { appNamespace: app.metadata.namespace }, signal);
  },
  async events(app: Application, ref: ResourceRef, uid: string): Promise<KubeEvent[]> {
    const query = { resourceNamespace: ref.namespace, resourceName: ref.name, resourceUID: uid, appNamespace: app.metadata.namespace };
    const answer = await api.get<{ items?: KubeEvent[] | null }>(appPath(app, "events"), query);
    return answer.items ?? [];
  },
  async actions(app: Application, ref: ResourceRef): Promise<ResourceAction[]> {
    const answer = await api.get<{ actions?: ResourceAction[] | null }>(appPath(app, "resource/actions"), refQuery(app, ref));
    return answer.actions ?? [];
  },
  runAction(app: Application, ref: ResourceRef, action: string): Promise<unknown> {
    const query = refQuery(app, ref);
    return api.post(appPath(app, "resource/actions/v2"), {
      name: app.metadata.name,
      appNamespace: query.appNamespace,
      namespace: ref.namespace,
      resourceName: ref.name,
      version: ref.version ?? "",
      group: ref.group,
      kind: ref.kind,
      action,
      project: app.spec.project,
    });
  },
  /** `GET account/can-i/<resource>/<action>/<object>`: whether the user may. */
  async canI(resource: string, action: string, object: string): Promise<boolean> {
    const path = `account/can-i/${resource}/${action}/${object.split("/").map(encodeURIComponent).join("/")}`;
    const answer = await api.get<{ value?: string }>(path);
    return answer.value === "yes";
  },
};
