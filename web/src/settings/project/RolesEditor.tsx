/**
 * A project's roles: name, description, policies (one `p, proj:<project>:<role>, …` line
 * each), groups; and each saved role's tokens: create (the token is shown once, here, and
 * never again) and delete. Token calls act on the saved project at once; role edits wait for
 * the page's Save.
 */
import { useState } from "react";
import { api } from "../../api/client";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ConfirmButton } from "../ConfirmButton";
import { epochText } from "../types";
import type { JwtToken, ProjectRole } from "../types";
import { useAction } from "../useLoad";
import { StringListEditor } from "./StringListEditor";

function RoleTokens({ project, role, tokens, onChanged }: { project: string; role: string; tokens: JwtToken[]; onChanged: () => void }) {
  const [tokenId, setTokenId] = useState("");
  const [shown, setShown] = useState<string | null>(null);
  const action = useAction();
  const base = `projects/${encodeURIComponent(project)}/roles/${encodeURIComponent(role)}/token`;
  const create = async () => {
    let token = "";
    const ok = await action.run(async () => {
      token = (await api.post<{ token: string }>(base, { id: tokenId.trim() || undefined, expiresIn: 0 })).token;
    });
    if (ok) {
      setShown(token);
      setTokenId("");
      onChanged();
    }
  };
  return (
    <div className="role-tokens">
      <h4>Tokens</h4>
      {tokens.length === 0 ? (
        <p className="settings-empty">No tokens.</p>
      ) : (
        <ul className="list-editor-items">
          {tokens.map((token) => (
            <li key={`${token.iat}-${token.id ?? ""}`}>
              <span>
                {token.id || "(no id)"} · issued {epochText(token.iat)} · expires {epochText(token.exp)}
              </span>
              <ConfirmButton
                label={`Delete token ${token.id || token.iat} of role ${role}`}
                confirmLabel="Delete it"
                onConfirm={async () => {
                  const query = token.id ? { id: token.id } : {};
                  if (await action.run(() => api.delete(`${base}/${token.iat}`, query))) onChanged();
                }}
              />
            </li>
          ))}
        </ul>
      )}
      <div className="list-editor-add">
        <label className="field">
          <span>Token id (optional)</span>
          <input value={tokenId} onChange={(event) => setTokenId(event.target.value)} />
        </label>
        <button type="button" onClick={create} disabled={action.busy}>
          {`Create token for ${role}`}
        </button>
      </div>
      {shown && (
        <div className="once-secret" role="status">
          New token (copy it now: it is not shown again)
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

export function RolesEditor({
  project,
  roles,
  savedRoles,
  onChange,
  onTokensChanged,
}: {
  project: string;
  roles: ProjectRole[];
  /** Names of the roles the saved project has (only those can have tokens). */
  savedRoles: ReadonlySet<string>;
  onChange: (roles: ProjectRole[]) => void;
  onTokensChanged: () => void;
}) {
  const [name, setName] = useState("");
  const update = (index: number, role: ProjectRole) => onChange(roles.map((r, i) => (i === index ? role : r)));
  const add = () => {
    const value = name.trim();
    if (!value || roles.some((r) => r.name === value)) return;
    onChange([...roles, { name: value, policies: [] }]);
    setName("");
  };
  return (
    <div className="roles">
      {roles.length === 0 && <p className="settings-empty">No roles.</p>}
      {roles.map((role, index) => (
        <fieldset key={role.name} className="list-editor">
          <legend>{`Role ${role.name}`}</legend>
          <label className="field">
            <span>Description</span>
            <input value={role.description ?? ""} onChange={(event) => update(index, { ...role, description: event.target.value })} />
          </label>
          <label className="field">
            <span>{`Policies of ${role.name} (one per line)`}</span>
            <textarea
              spellCheck={false}
              placeholder={`p, proj:${project}:${role.name}, applications, get, ${project}/*, allow`}
              value={(role.policies ?? []).join("\n")}
              onChange={(event) => update(index, { ...role, policies: event.target.value.split("\n") })}
              onBlur={() => update(index, { ...role, policies: (role.policies ?? []).map((p) => p.trim()).filter(Boolean) })}
            />
          </label>
          <StringListEditor
            label="Groups"
            noun={`group of ${role.name}`}
            values={role.groups ?? []}
            onChange={(groups) => update(index, { ...role, groups })}
          />
          {savedRoles.has(role.name) ? (
            <RoleTokens project={project} role={role.name} tokens={role.jwtTokens ?? []} onChanged={onTokensChanged} />
          ) : (
            <p className="tone-muted">Save the project to create tokens for this role.</p>
          )}
          <div className="button-row">
            <button type="button" className="danger" onClick={() => onChange(roles.filter((_, i) => i !== index))}>
              {`Remove role ${role.name}`}
            </button>
          </div>
        </fieldset>
      ))}
      <div className="list-editor-add">
        <label className="field">
          <span>New role name</span>
          <input
            value={name}
            onChange={(event) => setName(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === "Enter") {
                event.preventDefault();
                add();
              }
            }}
          />
        </label>
        <button type="button" onClick={add} disabled={!name.trim()}>
          Add role
        </button>
      </div>
    </div>
  );
}
