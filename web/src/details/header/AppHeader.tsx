/**
 * The details page's header: sync and health, the synced revision with its commit, the last
 * operation, the sync windows, conditions, and the actions the user may take (buttons a
 * role does not allow are not shown).
 */
import { useEffect, useState } from "react";
import { Link } from "react-router-dom";
import { api } from "../../api/client";
import type { StreamState } from "../../api/stream";
import type { Application } from "../../api/types";
import { ErrorNotice, errorText } from "../../components/ErrorNotice";
import { HealthBadge, SyncBadge } from "../../components/status";
import type { Permissions } from "../permissions";
import type { OperationPanel } from "../query";
import { appPath, type RefreshLevel } from "../useApplication";
import { shortRevision, useRevisionMetadata } from "./revision";
import "./header.css";

interface SyncWindows {
  assignedWindows?: { kind?: string; schedule?: string; duration?: string }[];
  activeWindows?: unknown[];
  canSync?: boolean;
}

export function when(value: string | undefined): string {
  if (!value) return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString();
}

function Revision({ app }: { app: Application }) {
  const revision = app.status?.sync?.revision;
  const { metadata, error } = useRevisionMetadata(app.metadata.name, app.metadata.namespace ?? "", revision);
  if (!revision) return <span className="hint">not synced yet</span>;
  return (
    <span className="revision">
      <code title={revision}>{shortRevision(revision)}</code>
      {metadata?.message ? <span className="commit-message"> {metadata.message.split("\n")[0]}</span> : null}
      {metadata?.author ? <span className="hint"> by {metadata.author}</span> : null}
      {error ? <span className="hint"> (commit details: {errorText(error)})</span> : null}
    </span>
  );
}

function LastOperation({ app }: { app: Application }) {
  const state = app.status?.operationState;
  if (!state) return <span className="hint">none</span>;
  const by = (state.operation?.initiatedBy as { username?: string; automated?: boolean } | undefined) ?? {};
  return (
    <span data-phase={state.phase}>
      <strong>{state.phase}</strong> {state.message ? `— ${state.message}` : ""}{" "}
      <span className="hint">
        {when(state.finishedAt ?? state.startedAt)} {by.automated ? "(automated)" : by.username ? `by ${by.username}` : ""}
      </span>
    </span>
  );
}

function Windows({ app }: { app: Application }) {
  const [windows, setWindows] = useState<SyncWindows | null>(null);
  const [error, setError] = useState<unknown>(null);
  const name = app.metadata.name;
  const project = app.spec.project;
  useEffect(() => {
    api
      .get<SyncWindows>(appPath(name, "/syncwindows"), { appNamespace: app.metadata.namespace })
      .then(setWindows)
      .catch(setError);
  }, [name, project, app.metadata.namespace]);
  if (error) return <span className="hint">{errorText(error)}</span>;
  if (!windows) return <span className="hint">…</span>;
  const count = windows.assignedWindows?.length ?? 0;
  const state = windows.canSync === false ? "sync blocked now" : "sync allowed now";
  return <span>{count === 0 ? "none" : `${count} window${count > 1 ? "s" : ""}`}, {state}</span>;
}

export interface AppHeaderProps {
  app: Application;
  can: Permissions;
  stream: StreamState;
  onPanel: (panel: OperationPanel) => void;
  onRefresh: (level: RefreshLevel) => Promise<void>;
}

export function AppHeader({ app, can, stream, onPanel, onRefresh }: AppHeaderProps) {
  const [refreshing, setRefreshing] = useState<RefreshLevel | null>(null);
  const [error, setError] = useState<unknown>(null);
  const refresh = (level: RefreshLevel) => {
    setRefreshing(level);
    setError(null);
    onRefresh(level)
      .catch(setError)
      .finally(() => setRefreshing(null));
  };
  const conditions = app.status?.conditions ?? [];
  return (
    <header className="app-header">
      <div className="app-title">
        <h1>{app.metadata.name}</h1>
        <SyncBadge status={app.status?.sync?.status} />
        <HealthBadge status={app.status?.health?.status} />
        {stream === "reconnecting" ? (
          <span role="status" className="stream-state">
            reconnecting…
          </span>
        ) : null}
      </div>
      <div className="app-actions" role="toolbar" aria-label="Application actions">
        {can.sync ? (
          <button type="button" className="btn btn-primary" onClick={() => onPanel("sync")}>
            Sync
          </button>
        ) : null}
        <button type="button" className="btn" disabled={refreshing !== null} onClick={() => refresh("normal")}>
          {refreshing === "normal" ? "Refreshing…" : "Refresh"}
        </button>
        <button type="button" className="btn" disabled={refreshing !== null} onClick={() => refresh("hard")}>
          {refreshing === "hard" ? "Refreshing…" : "Hard refresh"}
        </button>
        <button type="button" className="btn" onClick={() => onPanel("history")}>
          History and rollback
        </button>
        <button type="button" className="btn" onClick={() => onPanel("edit")}>
          App details
        </button>
        <Link
          className="btn"
          to={`/preview/${encodeURIComponent(app.metadata.namespace ?? "")}/${encodeURIComponent(app.metadata.name)}`}
        >
          Preview a branch
        </Link>
        {can.delete ? (
          <button type="button" className="btn btn-danger" onClick={() => onPanel("delete")}>
            Delete
          </button>
        ) : null}
      </div>
      <ErrorNotice error={error} />
      {can.error ? (
        <p role="alert" className="error-notice">
          Could not check your permissions, so actions are hidden: {errorText(can.error)}
        </p>
      ) : null}
      <dl className="app-facts">
        <div>
          <dt>Revision</dt>
          <dd><Revision app={app} /></dd>
        </div>
        <div>
          <dt>Last operation</dt>
          <dd><LastOperation app={app} /></dd>
        </div>
        <div>
          <dt>Sync windows</dt>
          <dd><Windows app={app} /></dd>
        </div>
        <div>
          <dt>Project</dt>
          <dd>{app.spec.project}</dd>
        </div>
      </dl>
      {conditions.length ? (
        <ul className="conditions" aria-label="Conditions">
          {conditions.map((c, i) => (
            <li key={i} className={/Error|Warning/.test(c.type) ? "tone-warn" : ""}>
              <strong>{c.type}</strong>: {c.message}
            </li>
          ))}
        </ul>
      ) : null}
    </header>
  );
}
