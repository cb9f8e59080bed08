/**
 * The panel header's commands: the resource's actions (`GET .../resource/actions`, run with
 * `POST .../resource/actions/v2` after confirmation, e.g. a Deployment's restart) and
 * deleting the resource (foreground, background or orphan; confirmation). Results and the
 * API's errors are shown right under the header.
 */
import { useState } from "react";
import type { ResourceRef } from "../../api/resourceRef";
import type { Application } from "../../api/types";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Confirm } from "./Confirm";
import { resourceApi, type DeletePolicy, type ResourceAction } from "./resourceApi";

const POLICIES: { policy: DeletePolicy; label: string; help: string }[] = [
  { policy: "foreground", label: "Foreground", help: "wait until dependents are deleted" },
  { policy: "background", label: "Background (force)", help: "delete now, without a grace period; dependents are collected after" },
  { policy: "orphan", label: "Orphan", help: "leave dependents running" },
];

type Pending = { type: "action"; action: string } | { type: "delete" } | null;

export interface ResourceActionsProps {
  app: Application;
  resource: ResourceRef;
  title: string;
  onChanged: () => void;
  onDeleted: () => void;
}

export function ResourceActions({ app, resource, title, onChanged, onDeleted }: ResourceActionsProps) {
  const [menu, setMenu] = useState(false);
  const [actions, setActions] = useState<ResourceAction[] | null>(null);
  const [pending, setPending] = useState<Pending>(null);
  const [policy, setPolicy] = useState<DeletePolicy>("foreground");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState("");

  const openMenu = () => {
    const opening = !menu;
    setMenu(opening);
    setError(null);
    if (opening) {
      setActions(null);
      resourceApi.actions(app, resource).then(setActions, (failed: unknown) => {
        setError(failed);
        setMenu(false);
      });
    }
  };

  const run = async () => {
    if (!pending) return;
    setBusy(true);
    setError(null);
    try {
      if (pending.type === "action") {
        await resourceApi.runAction(app, resource, pending.action);
        setNotice(`Action ${pending.action} ran on ${title}.`);
        onChanged();
      } else {
        await resourceApi.remove(app, resource, policy);
        setNotice(`${title} is being deleted.`);
        onDeleted();
      }
      setPending(null);
    } catch (failed) {
      setError(failed);
      setPending(null);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="rp-commands">
      <div className="rp-command-buttons">
        <button type="button" aria-expanded={menu} aria-controls="rp-actions-menu" onClick={openMenu}>
          Actions ▾
        </button>
        <button type="button" className="rp-danger-outline" onClick={() => (setMenu(false), setError(null), setPending({ type: "delete" }))}>
          Delete
        </button>
      </div>
      {menu && (
        <ul
          id="rp-actions-menu"
          className="rp-menu"
          aria-label={`Actions of ${title}`}
          onKeyDown={(event) => {
            if (event.key === "Escape") {
              event.stopPropagation(); // closes the list, not the panel
              setMenu(false);
            }
          }}
        >
          {actions === null && <li className="rp-muted">Loading…</li>}
          {actions?.length === 0 && <li className="rp-muted">No actions for this kind.</li>}
          {actions?.map((action) => (
            <li key={action.name}>
              <button
                type="button"
                disabled={action.disabled}
                onClick={() => {
                  setMenu(false);
                  setPending({ type: "action", action: action.name });
                }}
              >
                {action.displayName || action.name}
              </button>
            </li>
          ))}
        </ul>
      )}
      {pending?.type === "action" && (
        <Confirm title={`Run action ${pending.action} on ${title}?`} confirmLabel={`Run ${pending.action}`} busy={busy} onConfirm={run} onCancel={() => setPending(null)} />
      )}
      {pending?.type === "delete" && (
        <Confirm title={`Delete ${title}?`} confirmLabel="Delete" danger busy={busy} onConfirm={run} onCancel={() => setPending(null)}>
          <fieldset className="rp-policies">
            <legend>Propagation</legend>
            {POLICIES.map((p) => (
              <label key={p.policy}>
                <input type="radio" name="rp-delete-policy" value={p.policy} checked={policy === p.policy} onChange={() => setPolicy(p.policy)} />{" "}
                {p.label} <span className="rp-muted">— {p.help}</span>
              </label>
            ))}
          </fieldset>
          {resource.kind !== "Pod" && <p className="rp-muted">With auto-sync on, the next sync creates it again from Git.</p>}
        </Confirm>
      )}
      <ErrorNotice error={error} />
      {notice && (
        <p role="status" className="rp-notice">
          {notice}
        </p>
      )}
    </div>
  );
}
