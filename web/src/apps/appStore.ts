/**
 * The list's copy of the Applications: the initial `GET api/v1/applications`, then watch events
 * patched in. The stream is opened before the list is read (so no change falls between them)
 * and events that arrive first are replayed on top of it; an event older than what is held
 * (lower `metadata.resourceVersion`) is ignored, so a replayed event never rolls an app back.
 */
import type { Application, ApplicationWatchEvent } from "../api/types";
import { appKey } from "./appView";

export type AppMap = ReadonlyMap<string, Application>;

/** Kubernetes resourceVersions are opaque but etcd's are integers: compare those, else accept. */
function isOlder(incoming: Application, held: Application | undefined): boolean {
  const a = Number(incoming.metadata.resourceVersion);
  const b = Number(held?.metadata.resourceVersion);
  return Number.isFinite(a) && Number.isFinite(b) && a < b;
}

export function fromList(items: readonly Application[] | null): Map<string, Application> {
  return new Map((items ?? []).map((app) => [appKey(app), app]));
}

/** `apps` with `events` applied (a new map when anything changed, else the same one). */
export function applyEvents(apps: AppMap, events: readonly ApplicationWatchEvent[]): AppMap {
  let next: Map<string, Application> | null = null;
  for (const event of events) {
    const app = event.application;
    if (!app?.metadata?.name) continue;
    const key = appKey(app);
    const held = (next ?? apps).get(key);
    if (event.type === "DELETED") {
      if (!held || isOlder(app, held)) continue;
      next ??= new Map(apps);
      next.delete(key);
    } else {
      if (isOlder(app, held)) continue;
      next ??= new Map(apps);
      next.set(key, app);
    }
  }
  return next ?? apps;
}
