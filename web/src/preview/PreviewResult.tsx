/**
 * The preview's answer: the commit rendered, one summary line per resource a sync would touch
 * (added / changed with its changed fields / removed by prune), then a diff per resource
 * (live → that revision). "No changes" when the revision matches the cluster.
 */
import { useMemo, useState } from "react";
import { DiffView } from "../widgets/diff/DiffView";
import type { DiffMode } from "../widgets/diff/DiffView";
import { changes, resourceTitle } from "./previewModel";
import type { ChangeKind, ServerSideDiff } from "./previewModel";

const VERB: Record<ChangeKind, string> = { added: "added", changed: "changed", removed: "removed (with prune)" };
const MARK: Record<ChangeKind, string> = { added: "+", changed: "~", removed: "−" };

export function PreviewResult({ answer, asked }: { answer: ServerSideDiff; asked: string }) {
  const found = useMemo(() => changes(answer), [answer]);
  const [mode, setMode] = useState<DiffMode>("inline");
  const [compact, setCompact] = useState(true);
  const counts = { added: 0, changed: 0, removed: 0 };
  for (const item of found) counts[item.change] += 1;
  return (
    <section className="preview-result" aria-labelledby="preview-summary-title">
      <h2 id="preview-summary-title">
        {asked}
        {answer.revision && answer.revision !== asked ? ` (${answer.revision.slice(0, 12)})` : ""}
      </h2>
      {found.length === 0 ? (
        <p role="status" className="settings-ok">
          No changes: syncing this revision would leave the cluster as it is.
        </p>
      ) : (
        <>
          <p role="status">
            {`${found.length} resource${found.length === 1 ? "" : "s"} would change: ${counts.added} added, ${counts.changed} changed, ${counts.removed} removed`}
          </p>
          <ul className="preview-summary" aria-label="Changed resources">
            {found.map((item) => (
              <li key={item.key} className={`preview-${item.change}`}>
                <span aria-hidden="true" className="preview-mark">
                  {MARK[item.change]}
                </span>
                <a href={`#diff-${encodeURIComponent(item.key)}`}>{resourceTitle(item)}</a>: {VERB[item.change]}
                {item.change === "changed" && (
                  <>
                    {`, ${item.fields.length} field${item.fields.length === 1 ? "" : "s"}: `}
                    <code>{item.fields.slice(0, 6).join(", ")}</code>
                    {item.fields.length > 6 ? ` and ${item.fields.length - 6} more` : ""}
                  </>
                )}
              </li>
            ))}
          </ul>
          <div className="preview-options" role="group" aria-label="Diff display">
            <label>
              <input type="radio" name="preview-mode" checked={mode === "inline"} onChange={() => setMode("inline")} /> Inline
            </label>
            <label>
              <input type="radio" name="preview-mode" checked={mode === "split"} onChange={() => setMode("split")} /> Side by side
            </label>
            <label>
              <input type="checkbox" checked={compact} onChange={(event) => setCompact(event.target.checked)} /> Compact
            </label>
          </div>
          {found.map((item) => (
            <article key={item.key} id={`diff-${encodeURIComponent(item.key)}`} className="preview-diff" tabIndex={-1}>
              <h3>
                {resourceTitle(item)} <span className={`preview-tag preview-${item.change}`}>{item.change}</span>
              </h3>
              <DiffView left={item.liveYaml} right={item.targetYaml} mode={mode} compact={compact} label={`Diff of ${item.kind} ${item.name}`} />
            </article>
          ))}
        </>
      )}
    </section>
  );
}
