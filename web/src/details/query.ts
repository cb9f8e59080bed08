/**
 * The details page's state kept in the URL, so links and the back button work:
 * `?view=tree|list|pods|network`, `?resource=<group>/<Kind>/<ns>/<name>&tab=…` (the resource
 * panel), `?operation=sync|history|edit|delete` (the side panels; `operation=sync` is the
 * deep link that opens the sync panel). Every change is a new history entry.
 */
import { useCallback } from "react";
import { useSearchParams } from "react-router-dom";
import { refFromQuery, refKey, type ResourceRef } from "../api/resourceRef";
import type { ResourceTab } from "./resource/ResourcePanel";

export const VIEWS = ["tree", "list", "pods", "network"] as const;
export type DetailsView = (typeof VIEWS)[number];

export const PANELS = ["sync", "history", "edit", "delete"] as const;
export type OperationPanel = (typeof PANELS)[number];

const TABS: readonly ResourceTab[] = ["summary", "live", "desired", "diff", "events", "logs"];

function oneOf<T extends string>(values: readonly T[], value: string | null, fallback: T): T;
function oneOf<T extends string>(values: readonly T[], value: string | null): T | null;
function oneOf<T extends string>(values: readonly T[], value: string | null, fallback: T | null = null): T | null {
  return values.includes(value as T) ? (value as T) : fallback;
}

export function useDetailsQuery() {
  const [params, setParams] = useSearchParams();
  const change = useCallback(
    (edit: (next: URLSearchParams) => void) => {
      setParams((current) => {
        const next = new URLSearchParams(current);
        edit(next);
        return next;
      });
    },
    [setParams],
  );
  return {
    view: oneOf(VIEWS, params.get("view"), "tree"),
    resource: refFromQuery(params),
    tab: oneOf(TABS, params.get("tab"), "summary"),
    panel: oneOf(PANELS, params.get("operation")),
    setView: (view: DetailsView) => change((next) => next.set("view", view)),
    openResource: (ref: ResourceRef) =>
      change((next) => {
        next.set("resource", refKey(ref));
        next.delete("node");
        next.delete("tab");
      }),
    setTab: (tab: ResourceTab) => change((next) => next.set("tab", tab)),
    closeResource: () =>
      change((next) => {
        for (const key of ["resource", "node", "tab"]) next.delete(key);
      }),
    openPanel: (panel: OperationPanel) => change((next) => next.set("operation", panel)),
    closePanel: () => change((next) => next.delete("operation")),
  };
}
