/** A repository's or cluster's connection state, with its message for a failure. */
import type { ConnectionState } from "./types";

const TONE = { Successful: "tone-ok", Failed: "tone-bad", Unknown: "tone-muted" } as const;

export function ConnectionBadge({ state }: { state?: ConnectionState }) {
  const status = state?.status ?? "Unknown";
  return (
    <span className={`badge ${TONE[status]}`} title={state?.message || undefined}>
      {status === "Successful" ? "✔" : status === "Failed" ? "✖" : "?"} {status}
      {status === "Failed" && state?.message ? <span className="sr-only">: {state.message}</span> : null}
    </span>
  );
}
