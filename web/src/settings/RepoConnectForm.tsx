/**
 * Connect a repository: HTTPS (username/password, TLS client certificate, insecure), SSH
 * (private key) or Helm (name, OCI). "Test connection" asks the validate endpoint (nothing is
 * saved); "Connect" creates it. The API's error is shown under the form; secrets stay in the
 * form's state only and are cleared once the repository is connected.
 */
import { useId, useState } from "react";
import type { FormEvent } from "react";
import { api } from "../api/client";
import { ErrorNotice } from "../components/ErrorNotice";
import { EMPTY_REPO_FORM, METHOD_FIELDS, formProblem, repoBody, validateBody } from "./repoForm";
import type { ConnectMethod, RepoFormState } from "./repoForm";
import { segment } from "./types";
import { useAction } from "./useLoad";

const METHODS: { value: ConnectMethod; label: string }[] = [
  { value: "https", label: "Git over HTTPS" },
  { value: "ssh", label: "Git over SSH" },
  { value: "helm", label: "Helm" },
];

export function RepoConnectForm({ onConnected }: { onConnected: () => void }) {
  const [form, setForm] = useState<RepoFormState>(EMPTY_REPO_FORM);
  const [tested, setTested] = useState<string | null>(null);
  const action = useAction();
  const [problem, setProblem] = useState<string | null>(null);
  const id = useId();
  const shown = METHOD_FIELDS[form.method];
  const set = <K extends keyof RepoFormState>(key: K, value: RepoFormState[K]) => {
    setForm((old) => ({ ...old, [key]: value }));
    setTested(null);
  };
  const checked = (): boolean => {
    const found = formProblem(form);
    setProblem(found);
    return found === null;
  };
  const test = async () => {
    if (!checked()) return;
    const ok = await action.run(() => api.post(`repositories/${segment(form.url.trim())}/validate`, validateBody(form)));
    setTested(ok ? "Connection successful" : null);
  };
  const connect = async (event: FormEvent) => {
    event.preventDefault();
    if (!checked()) return;
    if (await action.run(() => api.post("repositories", repoBody(form)))) {
      setForm(EMPTY_REPO_FORM);
      setTested(null);
      onConnected();
    }
  };
  const text = (key: keyof RepoFormState, label: string, type = "text") => (
    <label className="field">
      <span>{label}</span>
      <input
        type={type}
        autoComplete={type === "password" ? "new-password" : "off"}
        value={String(form[key])}
        onChange={(event) => set(key, event.target.value)}
      />
    </label>
  );
  const area = (key: "sshPrivateKey" | "tlsClientCertData" | "tlsClientCertKey", label: string) => (
    <label className="field wide">
      <span>{label}</span>
      <textarea spellCheck={false} value={form[key]} onChange={(event) => set(key, event.target.value)} />
    </label>
  );
  return (
    <form className="settings-card" aria-labelledby={`${id}-title`} onSubmit={connect} noValidate>
      <h2 id={`${id}-title`}>Connect a repository</h2>
      <div className="settings-form">
        <label className="field">
          <span>Connection method</span>
          <select value={form.method} onChange={(event) => set("method", event.target.value as ConnectMethod)}>
            {METHODS.map((method) => (
              <option key={method.value} value={method.value}>
                {method.label}
              </option>
            ))}
          </select>
        </label>
        {text("url", "Repository URL")}
        {text("name", form.method === "helm" ? "Name" : "Name (optional)")}
        {text("project", "Project (optional)")}
        {shown.has("username") && text("username", "Username (optional)")}
        {shown.has("password") && text("password", "Password (optional)", "password")}
        {shown.has("sshPrivateKey") && area("sshPrivateKey", "SSH private key")}
        {shown.has("tlsClientCertData") && area("tlsClientCertData", "TLS client certificate (optional)")}
        {shown.has("tlsClientCertKey") && area("tlsClientCertKey", "TLS client certificate key (optional)")}
        {shown.has("insecure") && (
          <label className="check">
            <input type="checkbox" checked={form.insecure} onChange={(event) => set("insecure", event.target.checked)} />
            {form.method === "ssh" ? "Skip host key verification (insecure)" : "Skip server verification (insecure)"}
          </label>
        )}
        {shown.has("enableOCI") && (
          <label className="check">
            <input type="checkbox" checked={form.enableOCI} onChange={(event) => set("enableOCI", event.target.checked)} />
            Enable OCI
          </label>
        )}
      </div>
      {problem && (
        <div role="alert" className="error-notice">
          {problem}
        </div>
      )}
      <ErrorNotice error={action.error} />
      {tested && (
        <p role="status" className="settings-ok">
          {tested}
        </p>
      )}
      <div className="button-row">
        <button type="button" onClick={test} disabled={action.busy}>
          Test connection
        </button>
        <button type="submit" className="primary" disabled={action.busy}>
          Connect
        </button>
      </div>
    </form>
  );
}
