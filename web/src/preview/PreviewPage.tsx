/**
 * PR preview (`/preview/:namespace/:name`, beyond Argo CD): pick a branch, tag or commit and
 * see what syncing the app at that revision would change on the live cluster — before the
 * change is merged. The server renders the app's source at the revision and compares it with
 * the live objects (`server-side-diff?revision=`, what `kapstan app diff --revision` uses);
 * nothing is synced or written. The revision is kept in the URL (`?revision=`), so a preview
 * can be shared and the back button returns to the previous one.
 */
import { useEffect, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router-dom";
import { api } from "../api/client";
import type { Application } from "../api/types";
import { ErrorNotice } from "../components/ErrorNotice";
import { PreviewResult } from "./PreviewResult";
import { RevisionPicker } from "./RevisionPicker";
import type { ServerSideDiff } from "./previewModel";
import "./preview.css";

export function PreviewPage() {
  const { namespace = "", name = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const revision = params.get("revision") ?? "";
  const sourceIndex = Math.max(1, Number.parseInt(params.get("source") ?? "1", 10) || 1);
  const [app, setApp] = useState<Application>();
  const [appError, setAppError] = useState<unknown>(null);
  const [answer, setAnswer] = useState<ServerSideDiff>();
  const [diffError, setDiffError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const base = `applications/${encodeURIComponent(name)}`;

  useEffect(() => {
    const abort = new AbortController();
    api
      .get<Application>(base, { appNamespace: namespace }, abort.signal)
      .then(setApp)
      .catch((failure: unknown) => !abort.signal.aborted && setAppError(failure));
    return () => abort.abort();
  }, [base, namespace]);

  const sources = app?.spec.sources ?? (app?.spec.source ? [app.spec.source] : []);
  const multi = Boolean(app?.spec.sources?.length);
  const source = sources[Math.min(sourceIndex, Math.max(sources.length, 1)) - 1];

  useEffect(() => {
    if (!revision || !app) return;
    const abort = new AbortController();
    setBusy(true);
    setDiffError(null);
    setAnswer(undefined);
    const query = multi
      ? { appNamespace: namespace, sourcePositions: [String(sourceIndex)], revisions: [revision] }
      : { appNamespace: namespace, revision };
    api
      .get<ServerSideDiff>(`${base}/server-side-diff`, query, abort.signal)
      .then(setAnswer)
      .catch((failure: unknown) => !abort.signal.aborted && setDiffError(failure))
      .finally(() => !abort.signal.aborted && setBusy(false));
    return () => abort.abort();
  }, [base, namespace, revision, sourceIndex, multi, app]);

  const pick = (next: string) => {
    const query: Record<string, string> = { revision: next };
    if (multi) query.source = String(sourceIndex);
    setParams(query);
  };

  return (
    <main className="preview-page" aria-labelledby="preview-title">
      <p>
        <Link to={`/applications/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`}>← {name}</Link>
      </p>
      <h1 id="preview-title">PR preview: {name}</h1>
      <p className="tone-muted">
        What a sync of another revision would change on the cluster, compared with the live objects now. Nothing is synced.
      </p>
      <ErrorNotice error={appError} />
      {app && (
        <section className="preview-source" aria-label="Application source">
          {multi && (
            <label className="preview-field">
              <span>Source</span>
              <select
                value={sourceIndex}
                onChange={(event) => setParams(revision ? { source: event.target.value, revision } : { source: event.target.value })}
              >
                {sources.map((s, index) => (
                  <option key={index} value={index + 1}>
                    {`${index + 1}: ${s.repoURL}${s.path ? ` (${s.path})` : s.chart ? ` (${s.chart})` : ""}`}
                  </option>
                ))}
              </select>
            </label>
          )}
          <dl className="preview-facts">
            <dt>Repository</dt>
            <dd>{source?.repoURL ?? "—"}</dd>
            <dt>Path</dt>
            <dd>{source?.path || source?.chart || "—"}</dd>
            <dt>Deployed revision</dt>
            <dd>
              {source?.targetRevision || "HEAD"}
              {app.status?.sync?.revision ? ` (${app.status.sync.revision.slice(0, 8)})` : ""}
            </dd>
          </dl>
          <RevisionPicker repoURL={source?.repoURL ?? ""} initial={revision} busy={busy} onPick={pick} />
        </section>
      )}
      {busy && <p role="status">Rendering {revision} and comparing it with the cluster…</p>}
      <ErrorNotice error={diffError} />
      {answer && !busy && <PreviewResult answer={answer} asked={revision} />}
    </main>
  );
}
