/**
 * A project's sync windows: allow/deny, cron schedule, duration, which applications,
 * namespaces and clusters they cover, time zone, and whether manual syncs may run while a
 * deny window is active. The API checks schedule and duration on Save and says what is wrong.
 */
import type { SyncWindow, WindowKind } from "../types";
import { splitList } from "../types";

const NEW_WINDOW: SyncWindow = { kind: "allow", schedule: "0 22 * * *", duration: "1h", applications: ["*"], manualSync: false };

type ListKey = "applications" | "namespaces" | "clusters";

export function SyncWindowsEditor({ windows, onChange }: { windows: SyncWindow[]; onChange: (windows: SyncWindow[]) => void }) {
  const update = (index: number, patch: Partial<SyncWindow>) => onChange(windows.map((w, i) => (i === index ? { ...w, ...patch } : w)));
  const list = (window: SyncWindow, index: number, key: ListKey, label: string) => (
    <label className="field">
      <span>{label}</span>
      <input
        aria-label={`${label} of window ${index + 1}`}
        defaultValue={(window[key] ?? []).join(", ")}
        onBlur={(event) => update(index, { [key]: splitList(event.target.value) })}
      />
    </label>
  );
  return (
    <div className="sync-windows">
      {windows.length === 0 && <p className="settings-empty">No sync windows: syncs may run at any time.</p>}
      {windows.map((window, index) => (
        // Keyed by position and count: a removal remounts the rows so their list inputs start fresh.
        <fieldset key={`${index}-${windows.length}`} className="list-editor">
          <legend>{`Window ${index + 1}: ${window.kind} ${window.schedule} for ${window.duration}`}</legend>
          <div className="settings-form">
            <label className="field">
              <span>Kind</span>
              <select
                aria-label={`Kind of window ${index + 1}`}
                value={window.kind}
                onChange={(event) => update(index, { kind: event.target.value as WindowKind })}
              >
                <option value="allow">allow</option>
                <option value="deny">deny</option>
              </select>
            </label>
            <label className="field">
              <span>Schedule (cron)</span>
              <input aria-label={`Schedule of window ${index + 1}`} value={window.schedule} onChange={(event) => update(index, { schedule: event.target.value })} />
            </label>
            <label className="field">
              <span>Duration</span>
              <input aria-label={`Duration of window ${index + 1}`} value={window.duration} onChange={(event) => update(index, { duration: event.target.value })} />
            </label>
            <label className="field">
              <span>Time zone</span>
              <input
                aria-label={`Time zone of window ${index + 1}`}
                value={window.timeZone ?? ""}
                placeholder="UTC"
                onChange={(event) => update(index, { timeZone: event.target.value || undefined })}
              />
            </label>
            {list(window, index, "applications", "Applications")}
            {list(window, index, "namespaces", "Namespaces")}
            {list(window, index, "clusters", "Clusters")}
            <label className="check">
              <input type="checkbox" checked={Boolean(window.manualSync)} onChange={(event) => update(index, { manualSync: event.target.checked })} />
              {`Allow manual sync (window ${index + 1})`}
            </label>
          </div>
          <div className="button-row">
            <button type="button" className="danger" onClick={() => onChange(windows.filter((_, i) => i !== index))}>
              {`Remove window ${index + 1}`}
            </button>
          </div>
        </fieldset>
      ))}
      <button type="button" onClick={() => onChange([...windows, { ...NEW_WINDOW }])}>
        Add sync window
      </button>
    </div>
  );
}
