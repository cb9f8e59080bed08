/**
 * Bulk actions on the selected apps: sync (`POST api/v1/applications/{name}/sync`) and refresh
 * (`GET api/v1/applications/{name}?refresh=normal`, which answers once the controller has
 * refreshed). A few at a time, so a large selection does not flood the server; each app's
 * error is listed with the API's message, the others carry on.
 */
import { useState } from "react";
import { api } from "../api/client";
import { errorText } from "../components/ErrorNotice";
import type { AppView } from "./appView";

export type BulkAction = "sync" | "refresh";
const CONCURRENCY = 4;

function run(action: BulkAction, app: AppView): Promise<unknown> {
  const name = encodeURIComponent(app.name);
  // Apps outside the control plane's namespace are named by `appNamespace` (Argo CD's rule).
  const appNamespace = app.namespace || undefined;
  if (action === "sync") return api.post(`applications/${name}/sync`, { prune: false, dryRun: false, appNamespace });
  return api.get(`applications/${name}`, { refresh: "normal", appNamespace });
}

export async function runBulk(
  action: BulkAction,
  apps: AppView[],
  onDone: (app: AppView, error: unknown) => void,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < apps.length) {
      const app = apps[next++];
      try {
        await run(action, app);
        onDone(app, null);
      } catch (error) {
        onDone(app, error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, apps.length) }, worker));
}

interface Failure {
  key: string;
  name: string;
  message: string;
}

export function BulkActions({ selected, onClear }: { selected: AppView[]; onClear: () => void }) {
  const [busy, setBusy] = useState<BulkAction | null>(null);
  const [done, setDone] = useState<{ action: BulkAction; ok: number; failures: Failure[] } | null>(null);

  const start = async (action: BulkAction) => {
    setBusy(action);
    const failures: Failure[] = [];
    let ok = 0;
    await runBulk(action, selected, (app, error) => {
      if (error) failures.push({ key: app.key, name: app.name, message: errorText(error) });
      else ok++;
    });
    setDone({ action, ok, failures });
    setBusy(null);
  };

  return (
    <section className="bulk-bar" aria-label="Bulk actions">
      <span>{selected.length} selected</span>
      <button type="button" disabled={!selected.length || busy !== null} onClick={() => void start("sync")}>
        {busy === "sync" ? "Syncing…" : "Sync"}
      </button>
      <button type="button" disabled={!selected.length || busy !== null} onClick={() => void start("refresh")}>
        {busy === "refresh" ? "Refreshing…" : "Refresh"}
      </button>
      <button type="button" disabled={!selected.length} onClick={onClear}>
        Clear selection
      </button>
      {done && (
        <div className="bulk-result" role="status">
          {done.action === "sync" ? "Sync" : "Refresh"} requested for {done.ok} app{done.ok === 1 ? "" : "s"}
          {done.failures.length > 0 && `, ${done.failures.length} failed:`}
          {done.failures.length > 0 && (
            <ul role="alert" className="error-notice bulk-errors">
              {done.failures.map((f) => (
                <li key={f.key}>
                  <strong>{f.name}</strong>: {f.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  );
}
