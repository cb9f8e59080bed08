/** Sync and health badges, the same everywhere (list, tiles, tree, panels). */
import type { HealthStatusCode, SyncStatusCode } from "../api/types";

const HEALTH: Record<HealthStatusCode, { icon: string; tone: string }> = {
  Healthy: { icon: "♥", tone: "ok" },
  Progressing: { icon: "◔", tone: "info" },
  Degraded: { icon: "✖", tone: "bad" },
  Suspended: { icon: "❚❚", tone: "muted" },
  Missing: { icon: "?", tone: "warn" },
  Unknown: { icon: "?", tone: "muted" },
};
const SYNC: Record<SyncStatusCode, { icon: string; tone: string }> = {
  Synced: { icon: "✔", tone: "ok" },
  OutOfSync: { icon: "↑", tone: "warn" },
  Unknown: { icon: "?", tone: "muted" },
};

export function HealthBadge({ status, label = true }: { status?: HealthStatusCode; label?: boolean }) {
  const code = status ?? "Unknown";
  const look = HEALTH[code] ?? HEALTH.Unknown;
  return (
    <span className={`badge tone-${look.tone}`} data-health={code} title={`Health: ${code}`}>
      <span aria-hidden="true">{look.icon}</span>
      {label ? <span> {code}</span> : <span className="sr-only">Health: {code}</span>}
    </span>
  );
}

export function SyncBadge({ status, label = true }: { status?: SyncStatusCode; label?: boolean }) {
  const code = status ?? "Unknown";
  const look = SYNC[code] ?? SYNC.Unknown;
  return (
    <span className={`badge tone-${look.tone}`} data-sync={code} title={`Sync: ${code}`}>
      <span aria-hidden="true">{look.icon}</span>
      {label ? <span> {code}</span> : <span className="sr-only">Sync: {code}</span>}
    </span>
  );
}
