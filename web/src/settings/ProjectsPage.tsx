/**
 * Settings → Projects: every project the caller may see (description, sources, destinations),
 * each linked to its page; create one by name; delete (the API refuses `default` and projects
 * still used by applications, and says so).
 */
import { useState } from "react";
import type { FormEvent } from "react";
import { Link, useNavigate } from "react-router-dom";
import { api } from "../api/client";
import { ErrorNotice } from "../components/ErrorNotice";
import { ConfirmButton } from "./ConfirmButton";
import type { AppProject, ListOf } from "./types";
import { useAction, useLoad } from "./useLoad";

export function ProjectsPage() {
  const list = useLoad((signal) => api.get<ListOf<AppProject>>("projects", {}, signal), []);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const create = useAction();
  const remove = useAction();
  const navigate = useNavigate();
  const items = list.data?.items ?? [];
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const project = { metadata: { name: name.trim() }, spec: { description: description.trim() || undefined } };
    if (await create.run(() => api.post("projects", { project }))) navigate(`/settings/projects/${encodeURIComponent(name.trim())}`);
  };
  return (
    <section aria-labelledby="projects-title">
      <h1 id="projects-title">Projects</h1>
      <form className="settings-card" aria-label="New project" onSubmit={submit}>
        <div className="settings-form">
          <label className="field">
            <span>Project name</span>
            <input value={name} onChange={(event) => setName(event.target.value)} />
          </label>
          <label className="field">
            <span>Description (optional)</span>
            <input value={description} onChange={(event) => setDescription(event.target.value)} />
          </label>
          <div>
            <button type="submit" className="primary" disabled={create.busy || !name.trim()}>
              Create project
            </button>
          </div>
        </div>
        <ErrorNotice error={create.error} />
      </form>
      <ErrorNotice error={list.error} />
      <ErrorNotice error={remove.error} />
      <table className="settings-table" aria-label="Projects">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Description</th>
            <th scope="col">Source repositories</th>
            <th scope="col">Destinations</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((project) => {
            const spec = project.spec ?? {};
            return (
              <tr key={project.metadata.name}>
                <td data-label="Name">
                  <Link to={`/settings/projects/${encodeURIComponent(project.metadata.name)}`}>{project.metadata.name}</Link>
                </td>
                <td data-label="Description">{spec.description || "—"}</td>
                <td data-label="Source repositories">{(spec.sourceRepos ?? []).join(", ") || "none"}</td>
                <td data-label="Destinations">
                  {(spec.destinations ?? []).map((d) => `${d.server || d.name || "?"} / ${d.namespace || "?"}`).join(", ") || "none"}
                </td>
                <td className="actions">
                  {project.metadata.name !== "default" && (
                    <ConfirmButton
                      label={`Delete project ${project.metadata.name}`}
                      confirmLabel="Delete it"
                      disabled={remove.busy}
                      onConfirm={async () => {
                        if (await remove.run(() => api.delete(`projects/${encodeURIComponent(project.metadata.name)}`))) list.reload();
                      }}
                    />
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {!list.loading && !list.error && items.length === 0 && <p className="settings-empty">No projects.</p>}
    </section>
  );
}
