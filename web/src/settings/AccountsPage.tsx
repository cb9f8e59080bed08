/**
 * Settings → Accounts: local accounts with their capabilities (`login`, `apiKey`) and API
 * tokens — generate (the token is shown once, here) and delete — and the signed-in user's own
 * password change. Each action's error appears beside it.
 */
import { useState } from "react";
import type { FormEvent } from "react";
import { api } from "../api/client";
import type { UserInfo } from "../api/types";
import { ErrorNotice } from "../components/ErrorNotice";
import { ConfirmButton } from "./ConfirmButton";
import { epochText } from "./types";
import type { Account, ListOf } from "./types";
import { useAction, useLoad } from "./useLoad";

const LIFETIMES = [
  { label: "Never expires", seconds: 0 },
  { label: "1 day", seconds: 86_400 },
  { label: "30 days", seconds: 30 * 86_400 },
  { label: "90 days", seconds: 90 * 86_400 },
] as const;

function AccountTokens({ account, onChanged }: { account: Account; onChanged: () => void }) {
  const [id, setId] = useState("");
  const [lifetime, setLifetime] = useState(0);
  const [shown, setShown] = useState<string | null>(null);
  const action = useAction();
  const base = `account/${encodeURIComponent(account.name)}/token`;
  const generate = async () => {
    let token = "";
    const ok = await action.run(async () => {
      token = (await api.post<{ token: string }>(base, { id: id.trim() || undefined, expiresIn: lifetime })).token;
    });
    if (ok) {
      setShown(token);
      setId("");
      onChanged();
    }
  };
  return (
    <div>
      {(account.tokens ?? []).length > 0 && (
        <ul className="list-editor-items">
          {(account.tokens ?? []).map((token) => (
            <li key={token.id}>
              <span>
                <code>{token.id}</code> · issued {epochText(token.issuedAt)} · expires {epochText(token.expiresAt)}
              </span>
              <ConfirmButton
                label={`Delete token ${token.id} of ${account.name}`}
                confirmLabel="Delete it"
                onConfirm={async () => {
                  if (await action.run(() => api.delete(`${base}/${encodeURIComponent(token.id)}`))) onChanged();
                }}
              />
            </li>
          ))}
        </ul>
      )}
      {account.capabilities?.includes("apiKey") ? (
        <div className="list-editor-add">
          <label className="field">
            <span>Token id (optional)</span>
            <input value={id} onChange={(event) => setId(event.target.value)} />
          </label>
          <label className="field">
            <span>Expires</span>
            <select value={lifetime} onChange={(event) => setLifetime(Number(event.target.value))}>
              {LIFETIMES.map((choice) => (
                <option key={choice.seconds} value={choice.seconds}>
                  {choice.label}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={generate} disabled={action.busy}>
            {`Generate token for ${account.name}`}
          </button>
        </div>
      ) : (
        <p className="tone-muted">No apiKey capability: tokens cannot be generated.</p>
      )}
      {shown && (
        <div className="once-secret" role="status">
          New token for {account.name} (copy it now: it is not shown again)
          <code aria-label="New token">{shown}</code>
          <button type="button" onClick={() => setShown(null)}>
            I have copied it
          </button>
        </div>
      )}
      <ErrorNotice error={action.error} />
    </div>
  );
}

function PasswordForm({ username }: { username: string }) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [done, setDone] = useState(false);
  const action = useAction();
  const mismatch = again !== "" && next !== again;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setDone(false);
    if (mismatch || !next) return;
    if (await action.run(() => api.put("account/password", { name: username, currentPassword: current, newPassword: next }))) {
      setCurrent("");
      setNext("");
      setAgain("");
      setDone(true);
    }
  };
  return (
    <form className="settings-card" aria-label="Change password" onSubmit={submit}>
      <h2>Change your password ({username})</h2>
      <div className="settings-form">
        <label className="field">
          <span>Current password</span>
          <input type="password" autoComplete="current-password" value={current} onChange={(event) => setCurrent(event.target.value)} />
        </label>
        <label className="field">
          <span>New password</span>
          <input type="password" autoComplete="new-password" value={next} onChange={(event) => setNext(event.target.value)} />
        </label>
        <label className="field">
          <span>Confirm new password</span>
          <input
            type="password"
            autoComplete="new-password"
            aria-invalid={mismatch}
            value={again}
            onChange={(event) => setAgain(event.target.value)}
          />
        </label>
      </div>
      {mismatch && (
        <div role="alert" className="error-notice">
          The new passwords do not match
        </div>
      )}
      <ErrorNotice error={action.error} />
      {done && (
        <p role="status" className="settings-ok">
          Password changed. Other sessions of this account have to sign in again.
        </p>
      )}
      <div className="button-row">
        <button type="submit" className="primary" disabled={action.busy || !current || !next || mismatch}>
          Change password
        </button>
      </div>
    </form>
  );
}

export function AccountsPage() {
  const list = useLoad((signal) => api.get<ListOf<Account>>("account", {}, signal), []);
  const user = useLoad((signal) => api.get<UserInfo>("session/userinfo", {}, signal), []);
  const items = list.data?.items ?? [];
  return (
    <section aria-labelledby="accounts-title">
      <h1 id="accounts-title">Accounts</h1>
      <ErrorNotice error={list.error} />
      <table className="settings-table" aria-label="Accounts">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Enabled</th>
            <th scope="col">Capabilities</th>
            <th scope="col">Tokens</th>
          </tr>
        </thead>
        <tbody>
          {items.map((account) => (
            <tr key={account.name}>
              <td data-label="Name">{account.name}</td>
              <td data-label="Enabled">{account.enabled ? "yes" : "no"}</td>
              <td data-label="Capabilities">{(account.capabilities ?? []).join(", ") || "none"}</td>
              <td data-label="Tokens">
                <AccountTokens account={account} onChanged={list.reload} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {user.data?.username && <PasswordForm username={user.data.username} />}
      <ErrorNotice error={user.error} />
    </section>
  );
}
