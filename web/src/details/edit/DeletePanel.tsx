/**
 * Delete the app, with Argo CD's cascade choice: foreground or background deletion of its
 * resources, or non-cascading (the resources stay). The user types the app's name first.
 */
import { useState } from "react";
import { useNavigate } from "react-router-dom";
import { api } from "../../api/client";
import type { Application } from "../../api/types";
import { ErrorNotice } from "../../components/ErrorNotice";
import { NotAllowed, SidePanel } from "../SidePanel";
import type { Permissions } from "../permissions";
import { appPath } from "../useApplication";

export const CASCADES = ["foreground", "background", "non-cascading"] as const;
export type Cascade = (typeof CASCADES)[number];

export function deleteQuery(cascade: Cascade, appNamespace?: string): Record<string, string | boolean | undefined> {
  return cascade === "non-cascading"
    ? { cascade: false, appNamespace }
    : { cascade: true, propagationPolicy: cascade, appNamespace };
}

export function DeletePanel({ app, can, onClose }: { app: Application; can: Permissions; onClose: () => void }) {
  const [cascade, setCascade] = useState<Cascade>("foreground");
  const [typed, setTyped] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [sending, setSending] = useState(false);
  const navigate = useNavigate();
  const name = app.metadata.name;
  if (!can.known) return <SidePanel title="Delete application" onClose={onClose}><p className="hint">Checking your permissions…</p></SidePanel>;
  if (!can.delete)
    return (
      <SidePanel title="Delete application" onClose={onClose}>
        <NotAllowed action="delete" project={app.spec.project} name={name} />
      </SidePanel>
    );
  const remove = () => {
    setError(null);
    setSending(true);
    api
      .delete(appPath(name), deleteQuery(cascade, app.metadata.namespace))
      .then(() => navigate("/applications"))
      .catch((err: unknown) => {
        setError(err);
        setSending(false);
      });
  };
  return (
    <SidePanel title="Delete application" onClose={onClose}>
      <form
        aria-label="Delete application"
        onSubmit={(event) => {
          event.preventDefault();
          if (typed === name) remove();
        }}
      >
        <fieldset>
          <legend>What happens to the app's resources</legend>
          {CASCADES.map((value) => (
            <label key={value}>
              <input type="radio" name="cascade" checked={cascade === value} onChange={() => setCascade(value)} />
              {value === "non-cascading" ? "Non-cascading (keep the resources)" : `${value[0].toUpperCase()}${value.slice(1)} deletion`}
            </label>
          ))}
        </fieldset>
        <label className="field">
          Type the application's name ({name}) to confirm
          <input type="text" value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" />
        </label>
        <ErrorNotice error={error} />
        <div className="actions">
          <button type="submit" className="btn btn-danger" disabled={sending || typed !== name}>
            {sending ? "Deleting…" : "Delete"}
          </button>
        </div>
      </form>
    </SidePanel>
  );
}
