/**
 * Settings → Repositories: every repository the caller may see with its connection state
 * (a fresh check with "Refresh connections"), the connect form, and delete. The API never
 * answers secrets, so none can be shown.
 */
import { useState } from "react";
import { api } from "../api/client";
import { ErrorNotice } from "../components/ErrorNotice";
import { ConfirmButton } from "./ConfirmButton";
import { ConnectionBadge } from "./ConnectionBadge";
import { RepoConnectForm } from "./RepoConnectForm";
import type { ListOf, Repository } from "./types";
import { segment } from "./types";
import { useAction, useLoad } from "./useLoad";

export function RepositoriesPage() {
  const [force, setForce] = useState(0);
  const list = useLoad(
    (signal) => api.get<ListOf<Repository>>("repositories", force ? { forceRefresh: true } : {}, signal),
    [force],
  );
  const [adding, setAdding] = useState(false);
  const remove = useAction();
  const items = list.data?.items ?? [];
  return (
    <section aria-labelledby="repos-title">
      <h1 id="repos-title">Repositories</h1>
      <div className="button-row">
        <button type="button" className="primary" aria-expanded={adding} onClick={() => setAdding(!adding)}>
          {adding ? "Close the form" : "Connect repository"}
        </button>
        <button type="button" onClick={() => setForce((n) => n + 1)} disabled={list.loading}>
          Refresh connections
        </button>
      </div>
      {adding && (
        <RepoConnectForm
          onConnected={() => {
            setAdding(false);
            list.reload();
          }}
        />
      )}
      <ErrorNotice error={list.error} />
      <ErrorNotice error={remove.error} />
      <table className="settings-table" aria-label="Repositories">
        <thead>
          <tr>
            <th scope="col">Repository</th>
            <th scope="col">Type</th>
            <th scope="col">Name</th>
            <th scope="col">Project</th>
            <th scope="col">Connection</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((repo) => (
            <tr key={`${repo.project ?? ""}|${repo.repo}`}>
              <td data-label="Repository">{repo.repo}</td>
              <td data-label="Type">{repo.enableOCI ? `${repo.type ?? "git"} (OCI)` : (repo.type ?? "git")}</td>
              <td data-label="Name">{repo.name || "—"}</td>
              <td data-label="Project">{repo.project || "—"}</td>
              <td data-label="Connection">
                <ConnectionBadge state={repo.connectionState} />
                {repo.connectionState?.status === "Failed" && repo.connectionState.message && (
                  <div className="tone-muted">{repo.connectionState.message}</div>
                )}
              </td>
              <td className="actions">
                <ConfirmButton
                  label={`Delete repository ${repo.repo}`}
                  confirmLabel="Delete it"
                  disabled={remove.busy}
                  onConfirm={async () => {
                    const query = repo.project ? { appProject: repo.project } : {};
                    if (await remove.run(() => api.delete(`repositories/${segment(repo.repo)}`, query))) list.reload();
                  }}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!list.loading && !list.error && items.length === 0 && <p className="settings-empty">No repositories connected yet.</p>}
      {list.loading && <p role="status">Loading repositories…</p>}
    </section>
  );
}
