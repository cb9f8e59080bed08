/**
 * The diff of a resource: the normalized live state against the predicted live state (what
 * a sync would leave), from `managed-resources`; split or inline, compact by default. Secret
 * values arrive masked by the API. Below it, who changed the drifted fields (forensics).
 */
import { useState } from "react";
import type { ResourceRef } from "../../api/resourceRef";
import { ErrorNotice } from "../../components/ErrorNotice";
import { DiffView, type DiffMode } from "../../widgets/diff/DiffView";
import { ForensicsTable, useForensics } from "./Forensics";
import { manifestYaml } from "./manifestText";
import { parseState } from "./resourceApi";
import type { ResourceData } from "./useResource";

const MODES: { mode: DiffMode; label: string }[] = [
  { mode: "split", label: "Side by side" },
  { mode: "inline", label: "Inline" },
];

export function DiffTab({ resource, data }: { resource: ResourceRef; data: ResourceData }) {
  const [mode, setMode] = useState<DiffMode>("split");
  const [compact, setCompact] = useState(true);
  const forensics = useForensics(data);
  const { managed } = data;
  if (managed.error) return <ErrorNotice error={managed.error} />;
  if (managed.loading) return <p className="rp-muted">Loading…</p>;
  if (!managed.value) return <p className="rp-muted">This resource is not in Git (another resource creates it): there is no desired state to compare.</p>;
  const item = managed.value;
  const live = parseState(item.normalizedLiveState ?? item.liveState);
  const desired = parseState(item.predictedLiveState ?? item.targetState);
  return (
    <div className="rp-diff">
      <div className="rp-toolbar">
        <div role="group" aria-label="Diff layout" className="rp-segmented">
          {MODES.map((m) => (
            <button key={m.mode} type="button" aria-pressed={mode === m.mode} onClick={() => setMode(m.mode)}>
              {m.label}
            </button>
          ))}
        </div>
        <label>
          <input type="checkbox" checked={compact} onChange={(e) => setCompact(e.target.checked)} /> Compact (fold unchanged lines)
        </label>
        <button type="button" onClick={data.reload}>
          Reload
        </button>
        <span className="rp-muted">{item.modified ? "Live differs from Git." : "Live matches Git."}</span>
      </div>
      {resource.kind === "Secret" && resource.group === "" && (
        <p className="rp-muted">Secret values are masked by the API: a changed value shows as a different mask, never the value.</p>
      )}
      <DiffView
        left={manifestYaml(live)}
        right={manifestYaml(desired)}
        mode={mode}
        compact={compact}
        label={`Diff of ${resource.kind} ${resource.name}, live against desired`}
      />
      <ForensicsTable forensics={forensics} />
    </div>
  );
}
