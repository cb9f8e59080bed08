/** A repository's or cluster's connection state, with its message for a failure. */
import type { ConnectionState } from "./types";

const TONE = { Successful: "tone-ok", Failed: "tone-bad", Unknown: "tone-muted" } as const;
const ICON = { Successful: "✔", Failed: "✖", Unknown: "?" } as const;

export function ConnectionBadge({ state }: { state?: ConnectionState }) {
  const status = state?.status ?? "Unknown";
  return (
    <span className={`badge ${TONE[status]}`} title={state?.message || undefined}>
      <span aria-hidden="true">{ICON[status]}</span> {status}
    </span>
  );
}
