/**
 * Drift forensics (beyond Argo CD): for a resource whose live state differs from the
 * desired one, which field manager changed which field, how and when — computed in the
 * browser (./drift) from the live object's managedFields and the fields where the
 * normalized live state differs from the predicted one. Fields nobody can be blamed for
 * (removed fields leave no trace in managedFields) are listed as unattributed.
 */
import { useMemo } from "react";
import { differingPaths, dottedPath, driftRecords, type DriftRecord } from "./drift";
import { parseState, type KubeObject, type ManagedResource } from "./resourceApi";
import type { ResourceData } from "./useResource";

export interface Forensics {
  records: DriftRecord[];
  unattributed: string[];
}

/**
 * The forensics of one resource: `live` is the object read from the cluster (with its
 * managedFields), `managed` its managed-resources entry; null unless it drifted from Git.
 */
export function forensicsOf(live: KubeObject | null, managed: ManagedResource | null): Forensics | null {
  if (!live || !managed?.modified) return null;
  const normalized = parseState(managed.normalizedLiveState ?? managed.liveState);
  const predicted = parseState(managed.predictedLiveState ?? managed.targetState);
  if (!normalized || !predicted) return null;
  const paths = differingPaths(normalized, predicted).filter((p) => p !== "");
  const records = driftRecords(live, paths);
  const blamed = new Set(records.map((r) => r.path));
  return { records, unattributed: paths.filter((p) => !blamed.has(p)) };
}

export function useForensics(data: ResourceData): Forensics | null {
  const live = data.live.value;
  const managed = data.managed.value;
  return useMemo(() => forensicsOf(live, managed), [live, managed]);
}

function how(record: DriftRecord): string {
  return record.operation + (record.subresource ? `, ${record.subresource} subresource` : "");
}

export function ForensicsTable({ forensics }: { forensics: Forensics | null }) {
  if (!forensics) return null;
  const { records, unattributed } = forensics;
  return (
    <section className="rp-forensics" aria-label="Drift forensics">
      <h3>Who changed it</h3>
      {records.length > 0 ? (
        <table className="rp-table">
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Changed by</th>
              <th scope="col">Operation</th>
              <th scope="col">When</th>
            </tr>
          </thead>
          <tbody>
            {records.map((record) => (
              <tr key={record.path} data-field={dottedPath(record.path)}>
                <td>
                  <code>{dottedPath(record.path)}</code>
                </td>
                <td>
                  <strong>{record.manager || "(unnamed manager)"}</strong>
                </td>
                <td>{how(record)}</td>
                <td>{record.time || <span className="rp-muted">not recorded by the API server</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="rp-muted">No field manager other than Kapstan owns the drifted fields.</p>
      )}
      {unattributed.length > 0 && (
        <p className="rp-muted">
          Not attributable (removed fields leave no trace in managedFields, or Git moved):{" "}
          {unattributed.map((p) => dottedPath(p)).join(", ")}
        </p>
      )}
    </section>
  );
}
