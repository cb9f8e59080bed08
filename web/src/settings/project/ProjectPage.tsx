/**
 * Settings → Projects → one project (`/settings/projects/:name`): description, source
 * repositories, destinations, resource allow/deny lists, roles (with tokens) and sync
 * windows, edited as a draft and saved in one `PUT`; the API's refusal is shown next to
 * "Save". Leaving with unsaved edits is the user's choice; the page says they are unsaved.
 */
import { useEffect, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { api } from "../../api/client";
import { ErrorNotice } from "../../components/ErrorNotice";
import type { AppProject, ProjectSpec } from "../types";
import { useAction, useLoad } from "../useLoad";
import { DestinationsEditor } from "./DestinationsEditor";
import { ResourceListsEditor } from "./ResourceListsEditor";
import { RolesEditor } from "./RolesEditor";
import { StringListEditor } from "./StringListEditor";
import { SyncWindowsEditor } from "./SyncWindowsEditor";
import { cleaned, isChanged, withFreshTokens } from "./projectDraft";
import "./project.css";

export function ProjectPage() {
  const { name = "" } = useParams();
  const path = `projects/${encodeURIComponent(name)}`;
  const loaded = useLoad((signal) => api.get<AppProject>(path, {}, signal), [path]);
  const [saved, setSaved] = useState<AppProject>();
  const [draft, setDraft] = useState<AppProject>();
  const [savedNote, setSavedNote] = useState(false);
  const save = useAction();
  const tokens = useAction();
  useEffect(() => {
    if (loaded.data) {
      setSaved(loaded.data);
      setDraft(loaded.data);
    }
  }, [loaded.data]);
  const edit = (patch: Partial<ProjectSpec>) => {
    setSavedNote(false);
    setDraft((old) => (old ? { ...old, spec: { ...old.spec, ...patch } } : old));
  };
  const submit = async () => {
    if (!draft) return;
    let answer: AppProject | undefined;
    if (await save.run(async () => (answer = await api.put<AppProject>(path, { project: cleaned(draft) })))) {
      setSaved(answer);
      setDraft(answer);
      setSavedNote(true);
    }
  };
  const refreshTokens = () =>
    void tokens.run(async () => {
      const fresh = await api.get<AppProject>(path);
      setSaved(fresh);
      setDraft((old) => (old ? withFreshTokens(old, fresh) : fresh));
    });
  if (!draft) {
    return (
      <section aria-labelledby="project-title">
        <h1 id="project-title">Project {name}</h1>
        <ErrorNotice error={loaded.error} />
        {loaded.loading && <p role="status">Loading the project…</p>}
      </section>
    );
  }
  const spec = draft.spec;
  const changed = isChanged(draft, saved);
  return (
    <section aria-labelledby="project-title" className="project-page">
      <p>
        <Link to="/settings/projects">← Projects</Link>
      </p>
      <h1 id="project-title">Project {name}</h1>
      <div className="project-save" role="region" aria-label="Save project">
        <button type="button" className="primary" onClick={submit} disabled={save.busy || !changed}>
          {save.busy ? "Saving…" : "Save project"}
        </button>
        <button type="button" onClick={() => setDraft(saved)} disabled={!changed}>
          Discard changes
        </button>
        <span role="status">{changed ? "Unsaved changes" : savedNote ? "Saved" : ""}</span>
        <ErrorNotice error={save.error} />
      </div>
      <label className="field project-description">
        <span>Description</span>
        <input value={spec.description ?? ""} onChange={(event) => edit({ description: event.target.value })} />
      </label>
      <StringListEditor
        label="Source repositories"
        noun="source repository"
        placeholder="https://github.com/org/repo.git or *"
        values={spec.sourceRepos ?? []}
        onChange={(sourceRepos) => edit({ sourceRepos })}
      />
      <DestinationsEditor values={spec.destinations ?? []} onChange={(destinations) => edit({ destinations })} />
      <h2>Resources</h2>
      <ResourceListsEditor spec={spec} onChange={(field, values) => edit({ [field]: values })} />
      <h2>Roles</h2>
      <ErrorNotice error={tokens.error} />
      <RolesEditor
        project={name}
        roles={spec.roles ?? []}
        savedRoles={new Set((saved?.spec.roles ?? []).map((role) => role.name))}
        onChange={(roles) => edit({ roles })}
        onTokensChanged={refreshTokens}
      />
      <h2>Sync windows</h2>
      <SyncWindowsEditor windows={spec.syncWindows ?? []} onChange={(syncWindows) => edit({ syncWindows })} />
    </section>
  );
}
