/** The badges of one app in the list: sync, health and, while an operation runs, "Syncing". */
import { HealthBadge, SyncBadge } from "../components/status";
import type { AppView } from "./appView";

export function OperationBadge({ app }: { app: AppView }) {
  if (!app.syncing) return null;
  return (
    <span className="badge tone-info app-syncing" data-operation="Running" title="An operation is running">
      <span aria-hidden="true">⟳</span> Syncing
    </span>
  );
}

export function AppBadges({ app }: { app: AppView }) {
  return (
    <span className="app-badges">
      <SyncBadge status={app.sync} />
      <HealthBadge status={app.health} />
      <OperationBadge app={app} />
    </span>
  );
}

export function formatTime(iso: string): string {
  if (!iso) return "never";
  const when = new Date(iso);
  return Number.isNaN(when.getTime()) ? iso : when.toLocaleString(undefined, { dateStyle: "short", timeStyle: "short" });
}
