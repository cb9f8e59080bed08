/**
 * The Applications the list shows, kept live: one stream (`subscribe({kind: "applications"})`)
 * opened first, then `GET api/v1/applications` once it is live (events that arrive while the
 * list loads are replayed on top of it, see appStore.ts); after the stream reconnects the list
 * is read again, since changes made while it was down were not streamed. Both carry the
 * server-side filters and a `fields` projection of what the list shows (no resources, history
 * or conditions: a fraction of the bytes with thousands of apps).
 */
import { useEffect, useRef, useState } from "react";
import { api, type Query } from "../api/client";
import type { StreamState } from "../api/stream";
import { subscribe } from "../api/stream";
import type { ApplicationList, ApplicationWatchEvent } from "../api/types";
import { applyEvents, fromList, type AppMap } from "./appStore";

const APP_FIELDS = [
  "metadata.name",
  "metadata.namespace",
  "metadata.labels",
  "metadata.resourceVersion",
  "metadata.deletionTimestamp",
  "spec",
  "operation",
  "status.sync.status",
  "status.health",
  "status.operationState.phase",
  "status.operationState.finishedAt",
  "status.operationState.startedAt",
];
const LIST_FIELDS = ["metadata.resourceVersion", ...APP_FIELDS.map((f) => `items.${f}`)].join(",");
const STREAM_FIELDS = ["result.type", ...APP_FIELDS.map((f) => `result.application.${f}`)].join(",");
/** Events are applied in batches: a burst of changes costs one render, not one each. */
const BATCH_MS = 100;
/** Read the list anyway when the stream does not open this quickly (it keeps trying). */
const STREAM_WAIT_MS = 1500;

export interface LiveApps {
  apps: AppMap | null;
  error: unknown;
  stream: StreamState;
}

export function useApplications(query: Query): LiveApps {
  const [apps, setApps] = useState<AppMap | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [stream, setStream] = useState<StreamState>("connecting");
  const key = JSON.stringify(query);
  const queryRef = useRef(query);
  queryRef.current = query;

  useEffect(() => {
    const serverQuery = queryRef.current;
    let cancelled = false;
    let loading: ApplicationWatchEvent[] | null = null; // events held while the list loads
    let pending: ApplicationWatchEvent[] = [];
    let flushTimer: ReturnType<typeof setTimeout> | undefined;
    let loaded = false;
    let reconnected = false;
    const aborts = new Set<AbortController>();

    const flush = () => {
      flushTimer = undefined;
      const batch = pending;
      pending = [];
      if (!cancelled && batch.length) setApps((current) => (current ? applyEvents(current, batch) : current));
    };

    const load = async () => {
      loaded = true;
      loading = [];
      const abort = new AbortController();
      aborts.add(abort);
      try {
        const list = await api.get<ApplicationList>("applications", { ...serverQuery, fields: LIST_FIELDS }, abort.signal);
        if (cancelled) return;
        const replay = loading ?? [];
        loading = null;
        // A mark for the browser's performance timeline (bench/ui_list_bench.py reads it).
        performance.mark?.("kapstan:applications-listed");
        setApps(applyEvents(fromList(list.items), replay));
        setError(null);
      } catch (err) {
        loading = null;
        if (!cancelled && !abort.signal.aborted) setError(err);
      } finally {
        aborts.delete(abort);
      }
    };

    const unsubscribe = subscribe(
      { kind: "applications", query: { ...serverQuery, fields: STREAM_FIELDS, resourceVersion: "0" } },
      (event) => {
        if (loading) loading.push(event);
        else {
          pending.push(event);
          flushTimer ??= setTimeout(flush, BATCH_MS);
        }
      },
      (state) => {
        if (cancelled) return;
        setStream(state);
        if (state === "reconnecting") reconnected = true;
        if (state === "live" && (!loaded || reconnected)) {
          reconnected = false;
          void load();
        }
      },
      // The server refused the topic (e.g. a bad selector): say so where the list is.
      (refused) => !cancelled && setError(refused),
    );
    const fallback = setTimeout(() => {
      if (!loaded) void load();
    }, STREAM_WAIT_MS);

    return () => {
      cancelled = true;
      clearTimeout(fallback);
      clearTimeout(flushTimer);
      aborts.forEach((abort) => abort.abort());
      unsubscribe();
    };
  }, [key]);

  return { apps, error, stream };
}
