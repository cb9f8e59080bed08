/**
 * Ingress → Service → Pods, from the tree's `networkingInfo` (Argo CD's shape): an Ingress's
 * `targetRefs` name its Services (and `ingress` its addresses); a Service's `targetLabels`
 * select the Pods whose `networkingInfo.labels` match (or its `targetRefs` name them).
 */
import type { ApplicationTree, ResourceNode } from "../../api/types";

interface TargetRef {
  group?: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface NetworkingInfo {
  targetLabels?: Record<string, string>;
  targetRefs?: TargetRef[];
  labels?: Record<string, string>;
  ingress?: { ip?: string; hostname?: string }[];
  externalURLs?: string[];
}

export interface ServiceRoute {
  service: ResourceNode;
  pods: ResourceNode[];
}

export interface IngressRoute {
  ingress: ResourceNode | null;
  addresses: string[];
  services: ServiceRoute[];
}

function info(node: ResourceNode): NetworkingInfo {
  return (node.networkingInfo ?? {}) as NetworkingInfo;
}

function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  const wanted = Object.entries(selector ?? {});
  return wanted.length > 0 && wanted.every(([k, v]) => labels?.[k] === v);
}

function named(node: ResourceNode, ref: TargetRef): boolean {
  return node.kind === ref.kind && node.name === ref.name && (ref.namespace ?? node.namespace) === node.namespace;
}

/** Routes: one per Ingress, then one (ingress null) for the Services no Ingress names. */
export function networkRoutes(tree: ApplicationTree | null): IngressRoute[] {
  const nodes = tree?.nodes ?? [];
  const services = nodes.filter((n) => n.kind === "Service" && !n.group);
  const pods = nodes.filter((n) => n.kind === "Pod" && !n.group);
  const route = (service: ResourceNode): ServiceRoute => ({
    service,
    pods: pods.filter(
      (pod) =>
        selects(info(service).targetLabels, info(pod).labels) ||
        (info(service).targetRefs ?? []).some((ref) => named(pod, ref)),
    ),
  });
  const reached = new Set<ResourceNode>();
  const routes: IngressRoute[] = nodes
    .filter((n) => n.kind === "Ingress")
    .map((ingress) => {
      const targets = services.filter((s) => (info(ingress).targetRefs ?? []).some((ref) => named(s, ref)));
      targets.forEach((s) => reached.add(s));
      const addresses = [
        ...(info(ingress).ingress ?? []).map((a) => a.hostname || a.ip || ""),
        ...(info(ingress).externalURLs ?? []),
      ].filter(Boolean);
      return { ingress, addresses, services: targets.map(route) };
    });
  const rest = services.filter((s) => !reached.has(s));
  if (rest.length) routes.push({ ingress: null, addresses: [], services: rest.map(route) });
  return routes;
}
