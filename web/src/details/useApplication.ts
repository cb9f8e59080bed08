/**
 * The app and its resource tree, loaded once and then followed live through api/stream.ts
 * (the page never opens an EventSource itself). `deleted` turns true when the watch says the
 * app is gone; `stream` says whether updates are live (the page shows "reconnecting…").
 */
import { useCallback, useEffect, useState } from "react";
import { api } from "../api/client";
import { subscribe, type StreamState } from "../api/stream";
import type { Application, ApplicationTree } from "../api/types";

export type RefreshLevel = "normal" | "hard";

export interface LiveApplication {
  app: Application | null;
  error: unknown;
  deleted: boolean;
  stream: StreamState;
  /** Ask the controller for a refresh (Argo CD's `?refresh=`); resolves with the app. */
  refresh: (level: RefreshLevel) => Promise<void>;
}

export function appPath(name: string, rest = ""): string {
  return `applications/${encodeURIComponent(name)}${rest}`;
}

export function useApplication(name: string, appNamespace: string): LiveApplication {
  const [app, setApp] = useState<Application | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [deleted, setDeleted] = useState(false);
  const [stream, setStream] = useState<StreamState>("connecting");

  useEffect(() => {
    const abort = new AbortController();
    setApp(null);
    setError(null);
    setDeleted(false);
    api
      .get<Application>(appPath(name), { appNamespace }, abort.signal)
      .then((found) => setApp((current) => current ?? found))
      .catch((err: unknown) => {
        if (!abort.signal.aborted) setError(err);
      });
    const stop = subscribe(
      { kind: "applications", query: { name, appNamespace } },
      (event) => {
        if (event.application.metadata.name !== name) return;
        if (event.type === "DELETED") setDeleted(true);
        else setApp(event.application);
      },
      setStream,
    );
    return () => {
      abort.abort();
      stop();
    };
  }, [name, appNamespace]);

  const refresh = useCallback(
    async (level: RefreshLevel) => {
      setApp(await api.get<Application>(appPath(name), { appNamespace, refresh: level }));
    },
    [name, appNamespace],
  );
  return { app, error, deleted, stream, refresh };
}

export function useTree(name: string, appNamespace: string): { tree: ApplicationTree | null; error: unknown } {
  const [tree, setTree] = useState<ApplicationTree | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const abort = new AbortController();
    setTree(null);
    setError(null);
    api
      .get<ApplicationTree>(appPath(name, "/resource-tree"), { appNamespace }, abort.signal)
      .then((found) => setTree((current) => current ?? found))
      .catch((err: unknown) => {
        if (!abort.signal.aborted) setError(err);
      });
    const stop = subscribe({ kind: "tree", name, appNamespace }, (found) => {
      setTree(found);
      setError(null);
    });
    return () => {
      abort.abort();
      stop();
    };
  }, [name, appNamespace]);
  return { tree, error };
}
