/**
 * The filter controls: status checkboxes with their counts, choice lists (project, cluster,
 * namespace) that render their options only when opened (thousands of namespaces cost nothing
 * until asked for), label selector and repository fields, auto-sync and favourites.
 */
import { useState } from "react";
import type { AppFilters, AutoSync, StatusCounts } from "./filters";
import { HEALTH_CODES, SYNC_CODES } from "./filters";
import { parseSelector } from "./selector";

export interface Choices {
  projects: string[];
  clusters: string[];
  namespaces: string[];
  repos: string[];
}

type ListKey = "projects" | "sync" | "health" | "clusters" | "namespaces";

interface Props {
  filters: AppFilters;
  counts: StatusCounts;
  choices: Choices;
  onChange: (next: AppFilters) => void;
}

function toggled<T>(values: readonly T[], value: T, on: boolean): T[] {
  return on ? [...values, value] : values.filter((v) => v !== value);
}

function ChoiceList({ label, values, selected, onToggle }: {
  label: string;
  values: string[];
  selected: string[];
  onToggle: (value: string, on: boolean) => void;
}) {
  const [open, setOpen] = useState(selected.length > 0);
  const all = [...new Set([...selected, ...values])];
  return (
    <details className="filter-group" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>
        {label}
        {selected.length > 0 && <span className="filter-count"> ({selected.length})</span>}
      </summary>
      {open && (
        <fieldset className="filter-options">
          <legend className="sr-only">{label}</legend>
          {all.length === 0 && <p className="muted">none</p>}
          {all.map((value) => (
            <label key={value} className="filter-option">
              <input type="checkbox" checked={selected.includes(value)} onChange={(e) => onToggle(value, e.target.checked)} />
              <span>{value}</span>
            </label>
          ))}
        </fieldset>
      )}
    </details>
  );
}

export function FilterPanel({ filters, counts, choices, onChange }: Props) {
  const set = (patch: Partial<AppFilters>) => onChange({ ...filters, ...patch });
  const toggle = (key: ListKey) => (value: string, on: boolean) =>
    set({ [key]: toggled(filters[key] as string[], value, on) } as Partial<AppFilters>);
  const selector = parseSelector(filters.labels);
  return (
    <div className="filter-panel">
      <fieldset className="filter-group">
        <legend>Sync status</legend>
        {SYNC_CODES.map((code) => (
          <label key={code} className="filter-option">
            <input type="checkbox" checked={filters.sync.includes(code)} onChange={(e) => toggle("sync")(code, e.target.checked)} />
            <span>{code}</span> <span className="filter-count">{counts.sync[code]}</span>
          </label>
        ))}
      </fieldset>
      <fieldset className="filter-group">
        <legend>Health status</legend>
        {HEALTH_CODES.map((code) => (
          <label key={code} className="filter-option">
            <input type="checkbox" checked={filters.health.includes(code)} onChange={(e) => toggle("health")(code, e.target.checked)} />
            <span>{code}</span> <span className="filter-count">{counts.health[code]}</span>
          </label>
        ))}
      </fieldset>
      <fieldset className="filter-group">
        <legend>Auto-sync</legend>
        {(["any", "on", "off"] as AutoSync[]).map((value) => (
          <label key={value} className="filter-option">
            <input type="radio" name="auto-sync" checked={filters.autoSync === value} onChange={() => set({ autoSync: value })} />
            <span>{value === "any" ? "Any" : value === "on" ? "Enabled" : "Disabled"}</span>
          </label>
        ))}
      </fieldset>
      <label className="filter-option">
        <input type="checkbox" checked={filters.favourites} onChange={(e) => set({ favourites: e.target.checked })} />
        <span>Favourites only</span>
      </label>
      <ChoiceList label="Projects" values={choices.projects} selected={filters.projects} onToggle={toggle("projects")} />
      <ChoiceList label="Clusters" values={choices.clusters} selected={filters.clusters} onToggle={toggle("clusters")} />
      <ChoiceList label="Namespaces" values={choices.namespaces} selected={filters.namespaces} onToggle={toggle("namespaces")} />
      <label className="filter-field">
        <span>Labels</span>
        <input
          type="text"
          value={filters.labels}
          placeholder="team=a,env!=prod"
          aria-invalid={!selector.ok}
          aria-describedby={selector.ok ? undefined : "labels-error"}
          onChange={(e) => set({ labels: e.target.value })}
        />
      </label>
      {!selector.ok && <p id="labels-error" role="alert" className="field-error">{selector.error}</p>}
      <label className="filter-field">
        <span>Repository</span>
        <input type="text" list="repo-choices" value={filters.repo} placeholder="https://…" onChange={(e) => set({ repo: e.target.value })} />
      </label>
      <datalist id="repo-choices">
        {choices.repos.slice(0, 200).map((repo) => <option key={repo} value={repo} />)}
      </datalist>
    </div>
  );
}
