/**
 * The app's operation as it runs, from the live app: requested (the `operation` field, the
 * controller has not started it), then `status.operationState` — phase, message and each
 * resource's result with its hook phase. Terminate while it runs.
 */
import { useState } from "react";
import { api } from "../../api/client";
import type { Application } from "../../api/types";
import { ErrorNotice } from "../../components/ErrorNotice";
import { when } from "../header/AppHeader";
import { appPath } from "../useApplication";

export function OperationProgress({ app, canTerminate }: { app: Application; canTerminate: boolean }) {
  const [error, setError] = useState<unknown>(null);
  const [terminating, setTerminating] = useState(false);
  const state = app.status?.operationState;
  const running = app.operation !== undefined || state?.phase === "Running" || state?.phase === "Terminating";
  const terminate = () => {
    setError(null);
    setTerminating(true);
    api
      .delete(appPath(app.metadata.name, "/operation"), { appNamespace: app.metadata.namespace })
      .catch(setError)
      .finally(() => setTerminating(false));
  };
  if (!state && app.operation === undefined) return null;
  const results = state?.syncResult?.resources ?? [];
  return (
    <section className="operation-progress" aria-label="Operation progress" aria-live="polite">
      <h3>
        Operation:{" "}
        <span data-phase={app.operation !== undefined && !running ? "Requested" : state?.phase}>
          {app.operation !== undefined && state?.phase !== "Running" ? "Requested" : state?.phase}
        </span>
      </h3>
      {state?.message ? <p className="operation-message">{state.message}</p> : null}
      {state?.startedAt ? (
        <p className="hint">
          Started {when(state.startedAt)}
          {state.finishedAt ? `, finished ${when(state.finishedAt)}` : ""}
        </p>
      ) : null}
      {running && canTerminate ? (
        <button type="button" className="btn btn-danger" disabled={terminating} onClick={terminate}>
          {terminating ? "Terminating…" : "Terminate"}
        </button>
      ) : null}
      <ErrorNotice error={error} />
      {results.length ? (
        <table aria-label="Resource results">
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Name</th>
              <th scope="col">Result</th>
              <th scope="col">Hook</th>
              <th scope="col">Message</th>
            </tr>
          </thead>
          <tbody>
            {results.map((r, i) => (
              <tr key={`${r.kind}/${r.namespace}/${r.name}/${r.hookType ?? ""}/${i}`} data-kind={r.kind} data-name={r.name}>
                <td>{r.kind}</td>
                <td>{r.name}</td>
                <td>{r.status}</td>
                <td>{r.hookType ? `${r.hookType}: ${r.hookPhase ?? ""}` : (r.syncPhase ?? "")}</td>
                <td>{r.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
