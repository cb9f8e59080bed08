/**
 * The live manifest (Secret values masked by the API), read-only until "Edit". "Save"
 * shows the merge patch the edit makes and asks for confirmation, then sends it (`POST
 * .../resource`, patchType merge, as Argo CD's UI does). Editing needs `applications,
 * update` on the app (asked through `account/can-i`); Secrets are not edited here, since
 * their values are masked. The API's error is shown in the tab.
 */
import { useEffect, useState } from "react";
import { parse, stringify } from "yaml";
import type { ResourceRef } from "../../api/resourceRef";
import type { Application } from "../../api/types";
import { ErrorNotice } from "../../components/ErrorNotice";
import { YamlEditor } from "../../widgets/yaml/YamlEditor";
import { Confirm } from "./Confirm";
import { manifestYaml, withoutManagedFields } from "./manifestText";
import { mergePatch } from "./mergePatch";
import { resourceApi, type KubeObject } from "./resourceApi";
import type { ResourceData } from "./useResource";

type Permission = "unknown" | "yes" | "no";

function useCanUpdate(app: Application): [Permission, unknown] {
  const [permission, setPermission] = useState<Permission>("unknown");
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let gone = false;
    resourceApi.canI("applications", "update", `${app.spec.project}/${app.metadata.name}`).then(
      (yes) => !gone && setPermission(yes ? "yes" : "no"),
      (failed: unknown) => !gone && setError(failed),
    );
    return () => {
      gone = true;
    };
  }, [app.spec.project, app.metadata.name]);
  return [permission, error];
}

export function LiveTab({ app, resource, data }: { app: Application; resource: ResourceRef; data: ResourceData }) {
  const [showManaged, setShowManaged] = useState(false);
  const [draft, setDraft] = useState<string | null>(null); // null: not editing
  // The object the edit started from: the patch is the user's change to it, so a reload of
  // the live object meanwhile (the controller touched it) is not reverted by the save.
  const [base, setBase] = useState<KubeObject | null>(null);
  const [patch, setPatch] = useState<unknown>(null); // set: confirming
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState("");
  const [permission, permissionError] = useCanUpdate(app);
  const live = data.live.value;
  const isSecret = resource.kind === "Secret" && resource.group === "";
  const label = `Live manifest of ${resource.kind} ${resource.name}`;

  if (data.live.error && !live) return <ErrorNotice error={data.live.error} />;
  if (!live) return <p className="rp-muted">Loading…</p>;
  const shown = manifestYaml(live, showManaged && draft === null);

  const edit = () => {
    setError(null);
    setNotice("");
    setBase(live);
    setDraft(manifestYaml(live));
  };

  const review = () => {
    setError(null);
    let edited: KubeObject;
    try {
      edited = parse(draft ?? "") as KubeObject;
    } catch (failed) {
      setError(new Error(`The manifest is not valid YAML: ${(failed as Error).message}`));
      return;
    }
    if (!edited || typeof edited !== "object" || Array.isArray(edited)) {
      setError(new Error("The manifest must be a YAML mapping (an object)."));
      return;
    }
    const found = mergePatch(withoutManagedFields(base ?? live), withoutManagedFields(edited));
    if (found === null) {
      setNotice("Nothing changed.");
      setDraft(null);
      return;
    }
    setPatch(found);
  };

  const save = async () => {
    setBusy(true);
    try {
      await resourceApi.patch(app, resource, patch);
      setPatch(null);
      setDraft(null);
      setNotice(`Saved: ${resource.kind} ${resource.name} patched.`);
      data.reload();
    } catch (failed) {
      setPatch(null);
      setError(failed);
    } finally {
      setBusy(false);
    }
  };

  const editing = draft !== null;
  const refusal = isSecret
    ? "Secret values are masked here, so Secrets are not edited in the browser."
    : permission === "no"
      ? `You may not update ${app.metadata.name} (applications, update, ${app.spec.project}/${app.metadata.name}).`
      : "";
  return (
    <div className="rp-live">
      <div className="rp-toolbar">
        {!editing ? (
          <>
            <button type="button" className="rp-primary" onClick={edit} disabled={Boolean(refusal)} aria-describedby={refusal ? "rp-live-refusal" : undefined}>
              Edit
            </button>
            <label>
              <input type="checkbox" checked={showManaged} onChange={(e) => setShowManaged(e.target.checked)} /> Show managed fields
            </label>
          </>
        ) : (
          <>
            <button type="button" className="rp-primary" onClick={review} disabled={patch !== null}>
              Save
            </button>
            <button type="button" onClick={() => (setDraft(null), setPatch(null), setError(null))} disabled={busy}>
              Cancel
            </button>
          </>
        )}
        {refusal && (
          <span id="rp-live-refusal" className="rp-muted">
            {refusal}
          </span>
        )}
      </div>
      <ErrorNotice error={permissionError} />
      <ErrorNotice error={error} />
      {notice && (
        <p role="status" className="rp-notice">
          {notice}
        </p>
      )}
      {patch !== null && (
        <Confirm
          title={`Apply these changes to ${resource.kind} ${resource.name}?`}
          confirmLabel="Apply changes"
          busy={busy}
          onConfirm={save}
          onCancel={() => setPatch(null)}
        >
          <pre className="rp-patch" aria-label="Merge patch to send">
            {stringify(patch)}
          </pre>
        </Confirm>
      )}
      <YamlEditor value={editing ? draft : shown} readOnly={!editing} onChange={editing ? setDraft : undefined} label={label} />
    </div>
  );
}
