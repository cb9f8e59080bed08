/** The app's resources as a table (kind, name, namespace, sync, health); a row's name opens the panel. */
import type { Application, ApplicationTree } from "../../api/types";
import { refKey, type ResourceRef } from "../../api/resourceRef";
import { HealthBadge, SyncBadge } from "../../components/status";
import { allNodes } from "../tree/graph";
import "./list.css";

export function ListView({ app, tree, selected, onSelect }: {
  app: Application;
  tree: ApplicationTree | null;
  selected: ResourceRef | null;
  onSelect: (ref: ResourceRef) => void;
}) {
  const rows = allNodes(app, tree, false).filter((n) => n.type === "resource" && n.ref);
  const current = selected ? refKey(selected) : null;
  return (
    <div className="list-view">
      <table>
        <caption className="sr-only">Resources of {app.metadata.name}</caption>
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col">Name</th>
            <th scope="col">Namespace</th>
            <th scope="col">Sync</th>
            <th scope="col">Health</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.id} className={row.ref && refKey(row.ref) === current ? "selected" : ""}>
              <td>{row.kind}</td>
              <td>
                <button type="button" className="link" onClick={() => onSelect(row.ref!)} aria-label={`Open ${row.kind} ${row.name}`}>
                  {row.name}
                </button>
              </td>
              <td>{row.namespace}</td>
              <td>{row.sync ? <SyncBadge status={row.sync} /> : null}</td>
              <td>{row.health ? <HealthBadge status={row.health} /> : null}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
