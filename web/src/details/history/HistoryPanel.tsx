/**
 * History and rollback: every `status.history` entry (newest first) with its revision's
 * author and message and when it was deployed; Rollback sends `{id, prune, dryRun}`. With
 * auto-sync on the rollback is refused here with Argo CD's reason, not sent.
 */
import { useState } from "react";
import { api } from "../../api/client";
import type { Application, RevisionHistory } from "../../api/types";
import { ErrorNotice } from "../../components/ErrorNotice";
import { SidePanel } from "../SidePanel";
import { when } from "../header/AppHeader";
import { shortRevision, useRevisionMetadata } from "../header/revision";
import type { Permissions } from "../permissions";
import { OperationProgress } from "../sync/OperationProgress";
import { appPath } from "../useApplication";

export const AUTO_SYNC_REASON =
  "Rollback is not allowed while auto-sync is enabled: turn automated sync off in App details first (auto-sync would immediately sync back to the target revision).";

export function autoSyncOn(app: Application): boolean {
  const automated = app.spec.syncPolicy?.automated;
  return automated !== undefined && automated !== null && automated.enabled !== false;
}

function Entry({ app, entry, current, can, onRollback }: {
  app: Application;
  entry: RevisionHistory;
  current: boolean;
  can: boolean;
  onRollback: (entry: RevisionHistory) => void;
}) {
  const revision = entry.revision ?? entry.revisions?.[0];
  const { metadata, error } = useRevisionMetadata(app.metadata.name, app.metadata.namespace ?? "", revision, entry.id);
  return (
    <tr data-history-id={entry.id}>
      <td>{entry.id}</td>
      <td>
        <code title={revision}>{shortRevision(revision)}</code>
        {current ? <span className="hint"> (current)</span> : null}
      </td>
      <td>
        {metadata?.message?.split("\n")[0] ?? (error ? <span className="hint">unavailable</span> : "…")}
        {metadata?.author ? <div className="hint">{metadata.author}</div> : null}
      </td>
      <td>{when(entry.deployedAt)}</td>
      <td>
        {can && !current ? (
          <button type="button" className="btn" onClick={() => onRollback(entry)} aria-label={`Rollback to ${entry.id}`}>
            Rollback
          </button>
        ) : null}
      </td>
    </tr>
  );
}

export function HistoryPanel({ app, can, onClose }: { app: Application; can: Permissions; onClose: () => void }) {
  const [target, setTarget] = useState<RevisionHistory | null>(null);
  const [prune, setPrune] = useState(false);
  const [dryRun, setDryRun] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [sending, setSending] = useState(false);
  const history = [...(app.status?.history ?? [])].sort((a, b) => b.id - a.id);
  const refused = autoSyncOn(app);
  const send = () => {
    if (!target || refused) return;
    setError(null);
    setSending(true);
    api
      .post(appPath(app.metadata.name, "/rollback"), { id: target.id, prune, dryRun, appNamespace: app.metadata.namespace })
      .then(() => setTarget(null))
      .catch(setError)
      .finally(() => setSending(false));
  };
  return (
    <SidePanel title="History and rollback" onClose={onClose}>
      {history.length === 0 ? <p className="hint">No deployments yet.</p> : null}
      {history.length ? (
        <table aria-label="Deployment history">
          <thead>
            <tr>
              <th scope="col">ID</th>
              <th scope="col">Revision</th>
              <th scope="col">Commit</th>
              <th scope="col">Deployed</th>
              <th scope="col"><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {history.map((entry, i) => (
              <Entry key={entry.id} app={app} entry={entry} current={i === 0} can={can.sync} onRollback={setTarget} />
            ))}
          </tbody>
        </table>
      ) : null}
      {target ? (
        <section className="rollback-confirm" aria-label="Confirm rollback">
          <h3>Rollback to {target.id} ({shortRevision(target.revision)})</h3>
          {refused ? (
            <>
              <p role="alert" className="not-allowed">{AUTO_SYNC_REASON}</p>
              <button type="button" className="btn" onClick={() => setTarget(null)}>Cancel</button>
            </>
          ) : (
            <>
              <label>
                <input type="checkbox" checked={prune} onChange={(e) => setPrune(e.target.checked)} /> Prune
              </label>
              <label>
                <input type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.target.checked)} /> Dry run
              </label>
              <div className="actions">
                <button type="button" className="btn btn-primary" disabled={sending} onClick={send}>
                  {sending ? "Rolling back…" : "Confirm rollback"}
                </button>
                <button type="button" className="btn" onClick={() => setTarget(null)}>Cancel</button>
              </div>
            </>
          )}
          <ErrorNotice error={error} />
        </section>
      ) : null}
      <OperationProgress app={app} canTerminate={can.sync} />
    </SidePanel>
  );
}
