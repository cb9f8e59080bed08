/**
 * A diff of two YAML texts (live → desired), side by side or inline, optionally compact
 * (unchanged runs folded). Used by the resource panel's diff tab and the PR preview page.
 * (First version: inline lines only; the resource-panel work completes it.)
 */
import { diffLines } from "diff";

export type DiffMode = "split" | "inline";

export interface DiffViewProps {
  /** What is there now (the live manifest, normalized). */
  left: string;
  /** What would be there (the desired manifest). */
  right: string;
  mode?: DiffMode;
  compact?: boolean;
  /** Accessible name of the diff region, e.g. "Diff of Deployment web". */
  label: string;
}

export function DiffView({ left, right, label }: DiffViewProps) {
  const parts = diffLines(left, right);
  return (
    <pre role="region" aria-label={label} className="diff">
      {parts.map((part, index) => (
        <span key={index} className={part.added ? "diff-added" : part.removed ? "diff-removed" : undefined}>
          {part.value}
        </span>
      ))}
    </pre>
  );
}
