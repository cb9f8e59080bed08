/**
 * "New app": a modal panel (native <dialog>: focus stays inside, Escape closes) with the app
 * as a form or as YAML; switching tabs carries the input across. Creating is
 * `POST api/v1/applications` without upsert, so an existing app is never overwritten; the
 * API's refusal is shown in the panel, which stays open with the user's input.
 */
import { useEffect, useRef, useState } from "react";
import { api } from "../api/client";
import type { Application } from "../api/types";
import { ErrorNotice } from "../components/ErrorNotice";
import {
  EMPTY_FORM,
  fromApplication,
  parseApplication,
  toApplication,
  toYaml,
  validate,
  type FormErrors,
  type NewAppForm,
} from "./newApp";

type Tab = "form" | "yaml";
type TextField = Exclude<keyof NewAppForm, "autoSync" | "prune" | "selfHeal" | "createNamespace">;

const TEXT_FIELDS: { key: TextField; label: string; placeholder?: string; list?: string }[] = [
  { key: "name", label: "Application name" },
  { key: "project", label: "Project", list: "new-app-projects" },
  { key: "repoURL", label: "Repository URL", placeholder: "https://github.com/org/repo.git" },
  { key: "path", label: "Path", placeholder: "apps/web" },
  { key: "targetRevision", label: "Revision", placeholder: "HEAD, a branch, tag or commit" },
  { key: "clusterURL", label: "Cluster URL" },
  { key: "clusterName", label: "Cluster name", placeholder: "instead of the URL" },
  { key: "namespace", label: "Namespace" },
];

interface Props {
  projects: string[];
  onClose: () => void;
  onCreated: (app: Application) => void;
}

export function NewAppPanel({ projects, onClose, onCreated }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [tab, setTab] = useState<Tab>("form");
  const [form, setForm] = useState<NewAppForm>(EMPTY_FORM);
  const [yaml, setYaml] = useState("");
  const [errors, setErrors] = useState<FormErrors>({});
  const [problem, setProblem] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const node = dialog.current;
    if (node && !node.open) node.showModal?.();
    return () => node?.close?.();
  }, []);

  /** Whether the tab changed (YAML that does not parse keeps the YAML tab). */
  const switchTo = (next: Tab): boolean => {
    setProblem(null);
    if (next === "yaml" && tab === "form") setYaml(toYaml(toApplication(form)));
    if (next === "form" && tab === "yaml") {
      const parsed = parseApplication(yaml);
      if (!parsed.ok) {
        setProblem(new Error(parsed.error));
        return false; // stay on YAML until it parses: nothing typed is lost
      }
      setForm(fromApplication(parsed.app));
    }
    setTab(next);
    return true;
  };

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setProblem(null);
    let app: Application;
    if (tab === "form") {
      const found = validate(form);
      setErrors(found);
      if (Object.keys(found).length) return;
      app = toApplication(form);
    } else {
      const parsed = parseApplication(yaml);
      if (!parsed.ok) {
        setProblem(new Error(parsed.error));
        return;
      }
      app = parsed.app;
    }
    setBusy(true);
    try {
      const created = await api.post<Application>("applications", app, { upsert: false });
      onCreated(created);
    } catch (err) {
      setProblem(err);
    } finally {
      setBusy(false);
    }
  };

  const check = (key: "autoSync" | "prune" | "selfHeal" | "createNamespace", label: string, disabled = false) => (
    <label className="new-app-check">
      <input type="checkbox" checked={form[key]} disabled={disabled} onChange={(e) => setForm({ ...form, [key]: e.target.checked })} />
      <span>{label}</span>
    </label>
  );

  return (
    <dialog ref={dialog} className="new-app" aria-labelledby="new-app-title" onCancel={onClose}>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <header className="new-app-head">
          <h2 id="new-app-title">New application</h2>
          <button type="button" onClick={onClose} aria-label="Close">✕</button>
        </header>
        <div
          role="tablist"
          aria-label="Edit as"
          className="new-app-tabs"
          onKeyDown={(e) => {
            // Arrow keys move between the two tabs, as the ARIA tabs pattern has it.
            if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
            const next: Tab = tab === "form" ? "yaml" : "form";
            if (switchTo(next)) requestAnimationFrame(() => document.getElementById(`new-app-tab-${next}`)?.focus());
          }}
        >
          {(["form", "yaml"] as Tab[]).map((t) => (
            <button
              key={t}
              type="button"
              role="tab"
              id={`new-app-tab-${t}`}
              aria-selected={tab === t}
              aria-controls="new-app-tabpanel"
              tabIndex={tab === t ? 0 : -1}
              onClick={() => switchTo(t)}
            >
              {t === "form" ? "Form" : "YAML"}
            </button>
          ))}
        </div>
        {tab === "form" ? (
          <div role="tabpanel" id="new-app-tabpanel" aria-labelledby="new-app-tab-form" className="new-app-fields">
            {TEXT_FIELDS.map(({ key, label, placeholder, list }) => (
              <div key={key} className="new-app-field">
                <label htmlFor={`new-app-${key}`}>{label}</label>
                <input
                  id={`new-app-${key}`}
                  type="text"
                  value={form[key]}
                  placeholder={placeholder}
                  list={list}
                  aria-invalid={errors[key] ? true : undefined}
                  aria-describedby={errors[key] ? `new-app-${key}-error` : undefined}
                  onChange={(e) => setForm({ ...form, [key]: e.target.value })}
                />
                {errors[key] && <span id={`new-app-${key}-error`} className="field-error">{errors[key]}</span>}
              </div>
            ))}
            <datalist id="new-app-projects">
              {projects.map((p) => <option key={p} value={p} />)}
            </datalist>
            <fieldset className="new-app-policy">
              <legend>Sync policy</legend>
              {check("autoSync", "Automated sync")}
              {check("prune", "Prune resources", !form.autoSync)}
              {check("selfHeal", "Self heal", !form.autoSync)}
              {check("createNamespace", "Auto-create namespace")}
            </fieldset>
          </div>
        ) : (
          <div role="tabpanel" id="new-app-tabpanel" aria-labelledby="new-app-tab-yaml" className="new-app-fields">
            <label htmlFor="new-app-yaml">Application YAML</label>
            <textarea id="new-app-yaml" className="new-app-yaml" spellCheck={false} value={yaml} onChange={(e) => setYaml(e.target.value)} />
          </div>
        )}
        <ErrorNotice error={problem} />
        <footer className="new-app-foot">
          <button type="submit" className="primary" disabled={busy}>{busy ? "Creating…" : "Create"}</button>
          <button type="button" onClick={onClose}>Cancel</button>
        </footer>
      </form>
    </dialog>
  );
}
