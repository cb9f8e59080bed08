/**
 * /applications: the live list of apps as tiles or a table, searched and filtered with the
 * filters kept in the URL (back button, shareable links), bulk sync/refresh of a selection,
 * favourites, and the "New app" panel. Data comes from useApplications (one stream).
 */
import { useCallback, useEffect, useMemo, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { api } from "../api/client";
import { ErrorNotice } from "../components/ErrorNotice";
import { HealthBadge, SyncBadge } from "../components/status";
import { viewOf, type AppView } from "./appView";
import { AppTable } from "./AppTable";
import { AppTiles } from "./AppTiles";
import { BulkActions } from "./BulkActions";
import { useFavourites, useListView } from "./favourites";
import { FilterPanel, type Choices } from "./FilterPanel";
import {
  countStatuses,
  distinct,
  filterApps,
  filtersFromQuery,
  filtersToQuery,
  HEALTH_CODES,
  NO_FILTERS,
  serverQuery,
  SYNC_CODES,
  type AppFilters,
} from "./filters";
import { NewAppPanel } from "./NewAppPanel";
import { useApplications } from "./useApplications";
import "./apps.css";

/** Typing in a server-side filter (labels, repository) reloads the list once it pauses. */
function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  const key = JSON.stringify(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [key, ms]);
  return settled;
}

function useProjectNames(): string[] {
  const [names, setNames] = useState<string[]>([]);
  useEffect(() => {
    const abort = new AbortController();
    api
      .get<{ items: { metadata: { name: string } }[] | null }>("projects", { fields: "items.metadata.name" }, abort.signal)
      .then((list) => setNames((list.items ?? []).map((p) => p.metadata.name).sort()))
      .catch(() => setNames([])); // choices then come from the apps listed: the list still works
    return () => abort.abort();
  }, []);
  return names;
}

function byName(a: AppView, b: AppView): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

export function ApplicationsPage() {
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => filtersFromQuery(params), [params]);
  const server = useDebounced(serverQuery(filters), 400);
  const live = useApplications(server);
  const [view, setView] = useListView();
  const [favourites, toggleFavourite] = useFavourites();
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [creating, setCreating] = useState(false);
  const [filtersOpen, setFiltersOpen] = useState(false);
  const projectNames = useProjectNames();

  const views = useMemo<AppView[]>(
    // App names are DNS names (ASCII): a plain comparison sorts them, far faster than
    // localeCompare over thousands of apps.
    () => (live.apps ? [...live.apps.values()].map(viewOf).sort(byName) : []),
    [live.apps],
  );
  // Filtering thousands of views takes a millisecond or two and only the visible rows render,
  // so the list follows each keystroke in the same frame (deferring it cost a frame).
  const shown = useMemo(() => filterApps(views, filters, favourites), [views, filters, favourites]);
  const counts = useMemo(() => countStatuses(views), [views]);
  const shownCounts = useMemo(() => countStatuses(shown), [shown]);
  const choices = useMemo<Choices>(
    () => ({
      projects: [...new Set([...projectNames, ...distinct(views, (a) => a.project)])].sort(),
      clusters: distinct(views, (a) => a.cluster),
      namespaces: distinct(views, (a) => a.destNamespace),
      repos: distinct(views, (a) => a.repo),
    }),
    [views, projectNames],
  );
  const selectedApps = useMemo(() => views.filter((a) => selected.has(a.key)), [views, selected]);

  const change = (next: AppFilters, replace = false) => setParams(filtersToQuery(next), { replace });
  // Stable callbacks and props: the (memoised) list re-renders only when what it shows changes.
  const select = useCallback(
    (key: string, on: boolean) =>
      setSelected((current) => {
        const next = new Set(current);
        if (on) next.add(key);
        else next.delete(key);
        return next;
      }),
    [],
  );
  const allShownSelected = shown.length > 0 && shown.every((a) => selected.has(a.key));
  const itemProps = useMemo(
    () => ({ selected, onSelect: select, favourites, onFavourite: toggleFavourite }),
    [selected, select, favourites, toggleFavourite],
  );
  const filtered = JSON.stringify(filters) !== JSON.stringify(NO_FILTERS);

  return (
    <main className="apps-page">
      <div className="apps-toolbar">
        <h1>Applications</h1>
        <label className="apps-search">
          <span className="sr-only">Search applications by name</span>
          <input
            type="search"
            placeholder="Search applications…"
            value={filters.search}
            onChange={(e) => change({ ...filters, search: e.target.value }, true)}
          />
        </label>
        <div role="group" aria-label="View" className="apps-view-switch">
          <button type="button" aria-pressed={view === "tiles"} onClick={() => setView("tiles")}>Tiles</button>
          <button type="button" aria-pressed={view === "table"} onClick={() => setView("table")}>Table</button>
        </div>
        <button type="button" className="apps-filter-toggle" aria-expanded={filtersOpen} aria-controls="apps-filters" onClick={() => setFiltersOpen(!filtersOpen)}>
          Filters
        </button>
        <button type="button" className="primary" onClick={() => setCreating(true)}>New app</button>
      </div>
      <div className="apps-summary" aria-live="polite">
        <span data-testid="apps-count">
          {shown.length} of {views.length} app{views.length === 1 ? "" : "s"}
        </span>
        {SYNC_CODES.filter((c) => shownCounts.sync[c]).map((c) => (
          <span key={c}><SyncBadge status={c} /> {shownCounts.sync[c]}</span>
        ))}
        {HEALTH_CODES.filter((c) => shownCounts.health[c]).map((c) => (
          <span key={c}><HealthBadge status={c} /> {shownCounts.health[c]}</span>
        ))}
        {live.stream === "reconnecting" && <span role="status" className="apps-reconnecting">reconnecting…</span>}
        {filtered && <button type="button" className="link-button" onClick={() => change(NO_FILTERS)}>Clear filters</button>}
      </div>
      <ErrorNotice error={live.error} />
      <div className="apps-layout">
        <aside id="apps-filters" className={`apps-filters${filtersOpen ? " open" : ""}`} aria-label="Filters">
          <FilterPanel filters={filters} counts={counts} choices={choices} onChange={(next) => change(next)} />
        </aside>
        <section className="apps-main" aria-label="Application list">
          <div className="apps-select-all">
            <label>
              <input
                type="checkbox"
                checked={allShownSelected}
                disabled={!shown.length}
                onChange={(e) => setSelected(e.target.checked ? new Set([...selected, ...shown.map((a) => a.key)]) : new Set())}
              />
              <span>Select all shown</span>
            </label>
            {selected.size > 0 && <BulkActions selected={selectedApps} onClear={() => setSelected(new Set())} />}
          </div>
          {live.apps === null && !live.error && <p role="status">Loading applications…</p>}
          {live.apps !== null && shown.length === 0 && (
            <p className="apps-empty">{views.length ? "No applications match the filters." : "No applications yet: create one with “New app”."}</p>
          )}
          {shown.length > 0 && (view === "table" ? <AppTable apps={shown} {...itemProps} /> : <AppTiles apps={shown} {...itemProps} />)}
        </section>
      </div>
      {creating && (
        <NewAppPanel
          projects={choices.projects}
          onClose={() => setCreating(false)}
          onCreated={() => setCreating(false)}
        />
      )}
    </main>
  );
}
