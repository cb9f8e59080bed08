/**
 * The project's four resource lists (cluster-scoped allow/deny, namespaced allow/deny), each
 * a list of group + kind (`*` globs; the core group is empty).
 */
import { useState } from "react";
import { RESOURCE_LISTS } from "../types";
import type { GroupKind, ProjectSpec, ResourceListField } from "../types";

const TITLES: Record<ResourceListField, string> = {
  clusterResourceWhitelist: "Cluster resources allowed",
  clusterResourceBlacklist: "Cluster resources denied",
  namespaceResourceWhitelist: "Namespace resources allowed",
  namespaceResourceBlacklist: "Namespace resources denied",
};

function text(item: GroupKind): string {
  return `${item.group || "(core)"}/${item.kind}`;
}

function GroupKindList({ field, values, onChange }: { field: ResourceListField; values: GroupKind[]; onChange: (v: GroupKind[]) => void }) {
  const [group, setGroup] = useState("");
  const [kind, setKind] = useState("");
  const title = TITLES[field];
  const add = () => {
    if (!kind.trim()) return;
    const item = { group: group.trim(), kind: kind.trim() };
    if (!values.some((v) => v.group === item.group && v.kind === item.kind)) onChange([...values, item]);
    setGroup("");
    setKind("");
  };
  return (
    <fieldset className="list-editor">
      <legend>{title}</legend>
      {values.length === 0 ? (
        <p className="settings-empty">None.</p>
      ) : (
        <ul className="list-editor-items">
          {values.map((item, index) => (
            <li key={`${text(item)}-${index}`}>
              <code>{text(item)}</code>
              <button type="button" aria-label={`Remove ${text(item)} from ${title}`} onClick={() => onChange(values.filter((_, i) => i !== index))}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="list-editor-add">
        <label className="field">
          <span>Group</span>
          <input aria-label={`Group for ${title}`} value={group} placeholder="apps or *" onChange={(event) => setGroup(event.target.value)} />
        </label>
        <label className="field">
          <span>Kind</span>
          <input aria-label={`Kind for ${title}`} value={kind} placeholder="Deployment or *" onChange={(event) => setKind(event.target.value)} />
        </label>
        <button type="button" onClick={add} disabled={!kind.trim()} aria-label={`Add to ${title}`}>
          Add
        </button>
      </div>
    </fieldset>
  );
}

export function ResourceListsEditor({ spec, onChange }: { spec: ProjectSpec; onChange: (field: ResourceListField, values: GroupKind[]) => void }) {
  return (
    <div className="resource-lists">
      {RESOURCE_LISTS.map((field) => (
        <GroupKindList key={field} field={field} values={spec[field] ?? []} onChange={(values) => onChange(field, values)} />
      ))}
    </div>
  );
}
