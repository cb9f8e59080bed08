/**
 * A project's destinations: cluster (server URL or cluster name) + namespace, `*` globs
 * allowed as Argo CD reads them. Adding needs a server or a name and a namespace.
 */
import { useState } from "react";
import type { Destination } from "../types";

export function destinationText(d: Destination): string {
  return `${d.server || `name:${d.name ?? ""}`} / ${d.namespace ?? ""}`;
}

export function DestinationsEditor({ values, onChange }: { values: Destination[]; onChange: (values: Destination[]) => void }) {
  const [server, setServer] = useState("");
  const [name, setName] = useState("");
  const [namespace, setNamespace] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const add = () => {
    if (!server.trim() && !name.trim()) return setProblem("A destination needs a server URL or a cluster name");
    if (!namespace.trim()) return setProblem("A destination needs a namespace (* for any)");
    const destination: Destination = { namespace: namespace.trim() };
    if (server.trim()) destination.server = server.trim();
    if (name.trim()) destination.name = name.trim();
    if (values.some((d) => destinationText(d) === destinationText(destination))) return setProblem("That destination is already listed");
    setProblem(null);
    onChange([...values, destination]);
    setServer("");
    setName("");
    setNamespace("");
  };
  return (
    <fieldset className="list-editor">
      <legend>Destinations</legend>
      {values.length === 0 ? (
        <p className="settings-empty">None: no application of this project may deploy anywhere.</p>
      ) : (
        <table className="settings-table" aria-label="Destinations">
          <thead>
            <tr>
              <th scope="col">Server</th>
              <th scope="col">Name</th>
              <th scope="col">Namespace</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {values.map((d, index) => (
              <tr key={`${destinationText(d)}-${index}`}>
                <td data-label="Server">{d.server || "—"}</td>
                <td data-label="Name">{d.name || "—"}</td>
                <td data-label="Namespace">{d.namespace}</td>
                <td className="actions">
                  <button
                    type="button"
                    aria-label={`Remove destination ${destinationText(d)}`}
                    onClick={() => onChange(values.filter((_, i) => i !== index))}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="settings-form">
        <label className="field">
          <span>Destination server</span>
          <input value={server} placeholder="https://kubernetes.default.svc" onChange={(event) => setServer(event.target.value)} />
        </label>
        <label className="field">
          <span>Destination cluster name</span>
          <input value={name} placeholder="in-cluster" onChange={(event) => setName(event.target.value)} />
        </label>
        <label className="field">
          <span>Destination namespace</span>
          <input value={namespace} placeholder="*" onChange={(event) => setNamespace(event.target.value)} />
        </label>
        <div>
          <button type="button" onClick={add}>
            Add destination
          </button>
        </div>
      </div>
      {problem && (
        <div role="alert" className="error-notice">
          {problem}
        </div>
      )}
    </fieldset>
  );
}
