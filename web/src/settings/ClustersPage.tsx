/**
 * Settings → Clusters: server, name, Kubernetes version, connection state, namespaces and
 * applications count (the list answers cached states only: a cluster never probed is asked
 * once by itself, `GET clusters/{server}`, which probes it); edit the name and namespaces (`PUT …?updatedFields=name,namespaces`),
 * delete (not offered for the in-cluster cluster, which Argo CD's UI keeps too).
 */
import { useEffect, useState } from "react";
import type { FormEvent } from "react";
import { api } from "../api/client";
import { ErrorNotice } from "../components/ErrorNotice";
import { ConfirmButton } from "./ConfirmButton";
import { ConnectionBadge } from "./ConnectionBadge";
import type { Cluster, ListOf } from "./types";
import { segment, splitList } from "./types";
import { useAction, useLoad } from "./useLoad";

const IN_CLUSTER = "https://kubernetes.default.svc";
/** At most this many unprobed clusters are asked for on one visit (each one is a probe). */
const PROBES = 20;

function probed(cluster: Cluster): boolean {
  const status = (cluster.info?.connectionState ?? cluster.connectionState)?.status;
  return status !== undefined && status !== "Unknown";
}

/** The list's clusters, an unprobed one's state and version taken from its own answer. */
function useProbed(items: Cluster[]): Cluster[] {
  const [fresh, setFresh] = useState<Record<string, Cluster>>({});
  useEffect(() => {
    const abort = new AbortController();
    for (const cluster of items.filter((c) => !probed(c)).slice(0, PROBES)) {
      api
        .get<Cluster>(`clusters/${segment(cluster.server)}`, {}, abort.signal)
        .then((found) => setFresh((old) => ({ ...old, [cluster.server]: found })))
        .catch(() => undefined); // the row keeps the list's state ("Unknown"): nothing is lost
    }
    return () => abort.abort();
  }, [items]);
  return items.map((cluster) => {
    const found = fresh[cluster.server];
    if (!found || probed(cluster)) return cluster;
    return { ...cluster, info: found.info, connectionState: found.connectionState, serverVersion: found.serverVersion };
  });
}

function ClusterEditor({ cluster, onDone }: { cluster: Cluster; onDone: (saved: boolean) => void }) {
  const [name, setName] = useState(cluster.name);
  const [namespaces, setNamespaces] = useState((cluster.namespaces ?? []).join(", "));
  const save = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const body = { server: cluster.server, name: name.trim(), namespaces: splitList(namespaces) };
    const ok = await save.run(() =>
      api.put(`clusters/${segment(cluster.server)}`, body, { updatedFields: ["name", "namespaces"] }),
    );
    if (ok) onDone(true);
  };
  return (
    <form aria-label={`Edit cluster ${cluster.server}`} onSubmit={submit} onKeyDown={(e) => e.key === "Escape" && onDone(false)}>
      <div className="settings-form">
        <label className="field">
          <span>Name</span>
          <input value={name} onChange={(event) => setName(event.target.value)} autoFocus />
        </label>
        <label className="field">
          <span>Namespaces (comma-separated; empty = all)</span>
          <input value={namespaces} onChange={(event) => setNamespaces(event.target.value)} />
        </label>
      </div>
      <ErrorNotice error={save.error} />
      <div className="button-row">
        <button type="submit" className="primary" disabled={save.busy || !name.trim()}>
          Save
        </button>
        <button type="button" onClick={() => onDone(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

const NONE: Cluster[] = [];

export function ClustersPage() {
  const list = useLoad((signal) => api.get<ListOf<Cluster>>("clusters", {}, signal), []);
  const [editing, setEditing] = useState<string | null>(null);
  const remove = useAction();
  const items = useProbed(list.data?.items ?? NONE);
  return (
    <section aria-labelledby="clusters-title">
      <h1 id="clusters-title">Clusters</h1>
      <ErrorNotice error={list.error} />
      <ErrorNotice error={remove.error} />
      <table className="settings-table" aria-label="Clusters">
        <thead>
          <tr>
            <th scope="col">Server</th>
            <th scope="col">Name</th>
            <th scope="col">Version</th>
            <th scope="col">Connection</th>
            <th scope="col">Namespaces</th>
            <th scope="col">Apps</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((cluster) => {
            const state = cluster.info?.connectionState ?? cluster.connectionState;
            return (
              <tr key={cluster.server}>
                <td data-label="Server">{cluster.server}</td>
                <td data-label="Name">
                  {editing === cluster.server ? (
                    <ClusterEditor
                      cluster={cluster}
                      onDone={(saved) => {
                        setEditing(null);
                        if (saved) list.reload();
                      }}
                    />
                  ) : (
                    cluster.name
                  )}
                </td>
                <td data-label="Version">{cluster.info?.serverVersion ?? cluster.serverVersion ?? "—"}</td>
                <td data-label="Connection">
                  <ConnectionBadge state={state} />
                  {state?.status === "Failed" && state.message && <div className="tone-muted">{state.message}</div>}
                </td>
                <td data-label="Namespaces">{cluster.namespaces?.length ? cluster.namespaces.join(", ") : "all"}</td>
                <td data-label="Apps">{cluster.info?.applicationsCount ?? 0}</td>
                <td className="actions">
                  <button type="button" aria-label={`Edit cluster ${cluster.name}`} onClick={() => setEditing(cluster.server)}>
                    Edit
                  </button>{" "}
                  {cluster.server !== IN_CLUSTER && (
                    <ConfirmButton
                      label={`Delete cluster ${cluster.name}`}
                      confirmLabel="Delete it"
                      disabled={remove.busy}
                      onConfirm={async () => {
                        if (await remove.run(() => api.delete(`clusters/${segment(cluster.server)}`))) list.reload();
                      }}
                    />
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {!list.loading && !list.error && items.length === 0 && <p className="settings-empty">No clusters.</p>}
    </section>
  );
}
