/**
 * App details: source, destination, sync policy, Helm values/parameters, Kustomize images.
 * Saved with `PUT api/v1/applications/{name}/spec`; the API's refusal is shown here. Users
 * without `update` see the same fields read-only and no Save button.
 */
import { useState } from "react";
import { api } from "../../api/client";
import type { Application, ApplicationSpec } from "../../api/types";
import { ErrorNotice } from "../../components/ErrorNotice";
import { SidePanel } from "../SidePanel";
import type { Permissions } from "../permissions";
import { appPath } from "../useApplication";
import { formOf, formProblem, specOf, type SpecForm } from "./specForm";

type TextField = Exclude<keyof SpecForm, "automated" | "prune" | "selfHeal">;
const TEXT: [TextField, string, "line" | "area"][] = [
  ["repoURL", "Repository URL", "line"],
  ["path", "Path", "line"],
  ["targetRevision", "Target revision", "line"],
  ["server", "Destination cluster", "line"],
  ["namespace", "Destination namespace", "line"],
  ["helmValues", "Helm values (YAML)", "area"],
  ["helmParameters", "Helm parameters (name=value, one a line)", "area"],
  ["kustomizeImages", "Kustomize images (one a line)", "area"],
];

export function EditPanel({ app, can, onClose }: { app: Application; can: Permissions; onClose: () => void }) {
  const [form, setForm] = useState<SpecForm>(() => formOf(app.spec));
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const [saving, setSaving] = useState(false);
  const readOnly = !can.update;
  const problem = formProblem(form);
  const set = (change: Partial<SpecForm>) => {
    setSaved(false);
    setForm((now) => ({ ...now, ...change }));
  };
  const save = () => {
    setError(null);
    setSaving(true);
    api
      .put<ApplicationSpec>(appPath(app.metadata.name, "/spec"), specOf(app.spec, form), { appNamespace: app.metadata.namespace })
      .then(() => setSaved(true))
      .catch(setError)
      .finally(() => setSaving(false));
  };
  return (
    <SidePanel title="App details" onClose={onClose}>
      {readOnly ? <p className="hint">Read only: your role may not update this application.</p> : null}
      <form
        aria-label="Application spec"
        onSubmit={(event) => {
          event.preventDefault();
          if (!problem && !readOnly) save();
        }}
      >
        <fieldset disabled={readOnly}>
          <legend>Source and destination</legend>
          {TEXT.map(([field, label, shape]) => (
            <label key={field} className="field">
              {label}
              {shape === "line" ? (
                <input type="text" value={form[field]} onChange={(e) => set({ [field]: e.target.value })} />
              ) : (
                <textarea value={form[field]} onChange={(e) => set({ [field]: e.target.value })} />
              )}
            </label>
          ))}
        </fieldset>
        <fieldset disabled={readOnly}>
          <legend>Sync policy</legend>
          <label>
            <input type="checkbox" checked={form.automated} onChange={(e) => set({ automated: e.target.checked })} /> Automated sync
          </label>
          <label>
            <input type="checkbox" disabled={!form.automated} checked={form.prune} onChange={(e) => set({ prune: e.target.checked })} /> Prune
          </label>
          <label>
            <input type="checkbox" disabled={!form.automated} checked={form.selfHeal} onChange={(e) => set({ selfHeal: e.target.checked })} /> Self heal
          </label>
        </fieldset>
        {problem ? <p role="alert" className="hint">{problem}</p> : null}
        <ErrorNotice error={error} />
        {saved ? <p role="status">Saved.</p> : null}
        {readOnly ? null : (
          <div className="actions">
            <button type="submit" className="btn btn-primary" disabled={saving || problem !== null}>
              {saving ? "Saving…" : "Save"}
            </button>
            <button type="button" className="btn" onClick={() => setForm(formOf(app.spec))}>
              Reset
            </button>
          </div>
        )}
      </form>
    </SidePanel>
  );
}
