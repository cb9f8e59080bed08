/** The network view: each Ingress, the Services it routes to and the Pods behind each. */
import type { ApplicationTree, ResourceNode } from "../../api/types";
import type { ResourceRef } from "../../api/resourceRef";
import { HealthBadge } from "../../components/status";
import { networkRoutes } from "./network";
import "./network.css";

function Node({ node, onSelect }: { node: ResourceNode; onSelect: (ref: ResourceRef) => void }) {
  return (
    <button
      type="button"
      className="net-node"
      aria-label={`${node.kind} ${node.name}, health ${node.health?.status ?? "Unknown"}`}
      onClick={() => onSelect({ group: node.group ?? "", kind: node.kind, namespace: node.namespace ?? "", name: node.name })}
    >
      <span className="hint">{node.kind}</span> {node.name} <HealthBadge status={node.health?.status} label={false} />
    </button>
  );
}

export function NetworkView({ tree, onSelect }: { tree: ApplicationTree | null; onSelect: (ref: ResourceRef) => void }) {
  const routes = networkRoutes(tree);
  if (routes.length === 0) return <p className="hint">This app has no Ingress or Service.</p>;
  return (
    <ul className="network-view" aria-label="Network: Ingress → Service → Pods">
      {routes.map((route, i) => (
        <li key={route.ingress?.uid ?? route.ingress?.name ?? `services-${i}`} className="net-route">
          <div className="net-column">
            {route.ingress ? <Node node={route.ingress} onSelect={onSelect} /> : <span className="hint">no Ingress</span>}
            {route.addresses.map((a) => (
              <span key={a} className="hint">{a}</span>
            ))}
          </div>
          <ul className="net-services">
            {route.services.length === 0 ? <li className="hint">no Service of this app</li> : null}
            {route.services.map(({ service, pods }) => (
              <li key={service.uid ?? service.name} className="net-service">
                <span aria-hidden="true" className="net-arrow">→</span>
                <Node node={service} onSelect={onSelect} />
                <span aria-hidden="true" className="net-arrow">→</span>
                <ul className="net-pods" aria-label={`Pods behind ${service.name}`}>
                  {pods.length === 0 ? <li className="hint">no pods</li> : null}
                  {pods.map((pod) => (
                    <li key={pod.uid ?? pod.name}>
                      <Node node={pod} onSelect={onSelect} />
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        </li>
      ))}
    </ul>
  );
}
