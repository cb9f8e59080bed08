/**
 * The sync panel: Argo CD's sync choices (prune, dry run, apply only, force, replace,
 * server-side apply, retry, sync options, which resources), sent as its sync request; then
 * the operation's progress, live. The API's refusal (permission denied, another operation
 * running…) is shown here. A user without `sync` gets a message instead of the form.
 */
import { useState } from "react";
import { api } from "../../api/client";
import type { Application } from "../../api/types";
import { ErrorNotice } from "../../components/ErrorNotice";
import { NotAllowed, SidePanel } from "../SidePanel";
import type { Permissions } from "../permissions";
import { appPath } from "../useApplication";
import { OperationProgress } from "./OperationProgress";
import {
  SYNC_OPTIONS,
  defaultChoices,
  outOfSyncKeys,
  resourceKey,
  syncProblem,
  syncRequest,
  syncableResources,
  type SyncChoices,
  type SyncOption,
} from "./syncRequest";

type Flag = "prune" | "dryRun" | "applyOnly" | "force" | "replace" | "serverSideApply";
const FLAGS: [Flag, string][] = [
  ["prune", "Prune"],
  ["dryRun", "Dry run"],
  ["applyOnly", "Apply only"],
  ["force", "Force"],
  ["replace", "Replace"],
  ["serverSideApply", "Server-side apply"],
];

export function SyncPanel({ app, can, onClose }: { app: Application; can: Permissions; onClose: () => void }) {
  const [choices, setChoices] = useState<SyncChoices>(() => defaultChoices(app));
  const [error, setError] = useState<unknown>(null);
  const [sending, setSending] = useState(false);
  const name = app.metadata.name;
  if (!can.known) return <SidePanel title="Sync" onClose={onClose}><p className="hint">Checking your permissions…</p></SidePanel>;
  if (!can.sync)
    return (
      <SidePanel title="Sync" onClose={onClose}>
        <NotAllowed action="sync" project={app.spec.project} name={name} />
      </SidePanel>
    );
  const resources = syncableResources(app);
  const problem = syncProblem(app, choices);
  const set = (change: Partial<SyncChoices>) => setChoices((now) => ({ ...now, ...change }));
  const toggleOption = (option: SyncOption) =>
    set({ options: choices.options.includes(option) ? choices.options.filter((o) => o !== option) : [...choices.options, option] });
  const chosen = choices.resources ?? resources.map(resourceKey);
  const toggleResource = (key: string) =>
    set({ resources: chosen.includes(key) ? chosen.filter((k) => k !== key) : [...chosen, key] });
  const submit = () => {
    setError(null);
    setSending(true);
    api
      .post(appPath(name, "/sync"), syncRequest(app, choices))
      .catch(setError)
      .finally(() => setSending(false));
  };
  return (
    <SidePanel title="Sync" onClose={onClose}>
      <form
        aria-label="Sync options"
        onSubmit={(event) => {
          event.preventDefault();
          if (!problem) submit();
        }}
      >
        <fieldset>
          <legend>Sync</legend>
          {FLAGS.map(([flag, label]) => (
            <label key={flag}>
              <input type="checkbox" checked={choices[flag]} onChange={(e) => set({ [flag]: e.target.checked })} />
              {label}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>Sync options</legend>
          {SYNC_OPTIONS.map((option) => (
            <label key={option}>
              <input type="checkbox" checked={choices.options.includes(option)} onChange={() => toggleOption(option)} />
              {option}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>Retry</legend>
          <label>
            <input type="checkbox" checked={choices.retry.enabled} onChange={(e) => set({ retry: { ...choices.retry, enabled: e.target.checked } })} />
            Retry on failure
          </label>
          {choices.retry.enabled ? (
            <div className="retry-fields">
              <label>
                Limit <input type="number" min={0} value={choices.retry.limit} onChange={(e) => set({ retry: { ...choices.retry, limit: Number(e.target.value) } })} />
              </label>
              <label>
                Backoff <input type="text" value={choices.retry.duration} onChange={(e) => set({ retry: { ...choices.retry, duration: e.target.value } })} />
              </label>
              <label>
                Factor <input type="number" min={1} value={choices.retry.factor} onChange={(e) => set({ retry: { ...choices.retry, factor: Number(e.target.value) } })} />
              </label>
              <label>
                Max duration <input type="text" value={choices.retry.maxDuration} onChange={(e) => set({ retry: { ...choices.retry, maxDuration: e.target.value } })} />
              </label>
            </div>
          ) : null}
        </fieldset>
        <fieldset>
          <legend>Resources</legend>
          <div className="actions">
            <button type="button" className="btn" onClick={() => set({ resources: null })}>All</button>
            <button type="button" className="btn" onClick={() => set({ resources: outOfSyncKeys(app) })}>Out of sync</button>
            <button type="button" className="btn" onClick={() => set({ resources: [] })}>None</button>
          </div>
          <div className="resource-choices">
            {resources.map((r) => {
              const key = resourceKey(r);
              return (
                <label key={key}>
                  <input type="checkbox" checked={chosen.includes(key)} onChange={() => toggleResource(key)} />
                  {r.kind}/{r.name} {r.status === "OutOfSync" ? <span className="tone-warn">(OutOfSync)</span> : null}
                  {r.requiresPruning ? <span className="tone-warn"> (to prune)</span> : null}
                </label>
              );
            })}
          </div>
        </fieldset>
        {problem ? <p role="alert" className="hint">{problem}</p> : null}
        <ErrorNotice error={error} />
        <div className="actions">
          <button type="submit" className="btn btn-primary" disabled={sending || problem !== null}>
            {sending ? "Starting…" : "Synchronize"}
          </button>
        </div>
      </form>
      <OperationProgress app={app} canTerminate={can.sync} />
    </SidePanel>
  );
}
