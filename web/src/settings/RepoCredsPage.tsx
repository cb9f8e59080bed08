/**
 * Settings → Repository credentials: templates that repositories under a URL prefix inherit.
 * List (URL, username, type: never a secret), add (username/password or SSH key) and delete.
 */
import { useState } from "react";
import type { FormEvent } from "react";
import { api } from "../api/client";
import { ErrorNotice } from "../components/ErrorNotice";
import { ConfirmButton } from "./ConfirmButton";
import type { ListOf, RepoCreds } from "./types";
import { segment } from "./types";
import { useAction, useLoad } from "./useLoad";

interface CredsForm {
  url: string;
  username: string;
  password: string;
  sshPrivateKey: string;
}

const EMPTY: CredsForm = { url: "", username: "", password: "", sshPrivateKey: "" };

/** The body of `POST api/v1/repocreds`: the URL and the credentials actually given. */
export function credsBody(form: CredsForm): Record<string, string> {
  const body: Record<string, string> = { url: form.url.trim() };
  for (const key of ["username", "password", "sshPrivateKey"] as const) if (form[key]) body[key] = form[key];
  return body;
}

export function RepoCredsPage() {
  const list = useLoad((signal) => api.get<ListOf<RepoCreds>>("repocreds", {}, signal), []);
  const [form, setForm] = useState<CredsForm>(EMPTY);
  const add = useAction();
  const remove = useAction();
  const items = list.data?.items ?? [];
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await add.run(() => api.post("repocreds", credsBody(form)))) {
      setForm(EMPTY);
      list.reload();
    }
  };
  const field = (key: keyof CredsForm, label: string, type = "text") => (
    <label className="field">
      <span>{label}</span>
      <input
        type={type}
        autoComplete={type === "password" ? "new-password" : "off"}
        value={form[key]}
        onChange={(event) => setForm({ ...form, [key]: event.target.value })}
      />
    </label>
  );
  return (
    <section aria-labelledby="creds-title">
      <h1 id="creds-title">Repository credential templates</h1>
      <p className="tone-muted">A repository without credentials of its own uses the template with the longest matching URL prefix.</p>
      <form className="settings-card" aria-label="Add credential template" onSubmit={submit}>
        <div className="settings-form">
          {field("url", "URL prefix")}
          {field("username", "Username (optional)")}
          {field("password", "Password (optional)", "password")}
          <label className="field wide">
            <span>SSH private key (optional)</span>
            <textarea
              spellCheck={false}
              value={form.sshPrivateKey}
              onChange={(event) => setForm({ ...form, sshPrivateKey: event.target.value })}
            />
          </label>
        </div>
        <ErrorNotice error={add.error} />
        <div className="button-row">
          <button type="submit" className="primary" disabled={add.busy || !form.url.trim()}>
            Add template
          </button>
        </div>
      </form>
      <ErrorNotice error={list.error} />
      <ErrorNotice error={remove.error} />
      <table className="settings-table" aria-label="Credential templates">
        <thead>
          <tr>
            <th scope="col">URL prefix</th>
            <th scope="col">Username</th>
            <th scope="col">Type</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((creds) => (
            <tr key={creds.url}>
              <td data-label="URL prefix">{creds.url}</td>
              <td data-label="Username">{creds.username || "—"}</td>
              <td data-label="Type">{creds.type || "git"}</td>
              <td className="actions">
                <ConfirmButton
                  label={`Delete credential template ${creds.url}`}
                  confirmLabel="Delete it"
                  disabled={remove.busy}
                  onConfirm={async () => {
                    if (await remove.run(() => api.delete(`repocreds/${segment(creds.url)}`))) list.reload();
                  }}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!list.loading && !list.error && items.length === 0 && <p className="settings-empty">No credential templates.</p>}
    </section>
  );
}
