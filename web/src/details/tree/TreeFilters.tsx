/** The tree's filters: kind, sync, health (multi-select) and the "show orphans" toggle. */
import type { HealthStatusCode, SyncStatusCode } from "../../api/types";
import type { TreeFilters as Filters } from "./graph";

const SYNC: SyncStatusCode[] = ["Synced", "OutOfSync", "Unknown"];
const HEALTH: HealthStatusCode[] = ["Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"];

function toggle<T>(values: T[], value: T): T[] {
  return values.includes(value) ? values.filter((v) => v !== value) : [...values, value];
}

export function TreeFilterBar({ kinds, filters, onChange }: { kinds: string[]; filters: Filters; onChange: (f: Filters) => void }) {
  return (
    <div className="tree-filters" role="group" aria-label="Tree filters">
      <label>
        Kind{" "}
        <select
          aria-label="Filter by kind"
          value={filters.kinds[0] ?? ""}
          onChange={(e) => onChange({ ...filters, kinds: e.target.value ? [e.target.value] : [] })}
        >
          <option value="">all kinds</option>
          {kinds.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
      </label>
      <fieldset>
        <legend>Sync</legend>
        {SYNC.map((s) => (
          <label key={s}>
            <input type="checkbox" checked={filters.sync.includes(s)} onChange={() => onChange({ ...filters, sync: toggle(filters.sync, s) })} />
            {s}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>Health</legend>
        {HEALTH.map((h) => (
          <label key={h}>
            <input type="checkbox" checked={filters.health.includes(h)} onChange={() => onChange({ ...filters, health: toggle(filters.health, h) })} />
            {h}
          </label>
        ))}
      </fieldset>
      <label>
        <input type="checkbox" checked={filters.showOrphans} onChange={(e) => onChange({ ...filters, showOrphans: e.target.checked })} />
        Show orphans
      </label>
    </div>
  );
}
