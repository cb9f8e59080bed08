/**
 * The summary of a resource: kind, name, namespace, health (with its message), sync
 * status, tracking, images, the tree's info, creation time and owners; plus the drift
 * forensics when the resource drifted from Git.
 */
import type { ReactNode } from "react";
import type { ResourceRef } from "../../api/resourceRef";
import type { Application, ResourceStatus } from "../../api/types";
import { ErrorNotice } from "../../components/ErrorNotice";
import { HealthBadge, SyncBadge } from "../../components/status";
import { ForensicsTable, useForensics } from "./Forensics";
import type { ResourceData } from "./useResource";

const TRACKING_ID = "argocd.argoproj.io/tracking-id";
const INSTANCE_LABEL = "app.kubernetes.io/instance";

/** The app's `status.resources` entry for the resource (health and sync as compared). */
export function resourceStatus(app: Application, ref: ResourceRef): ResourceStatus | undefined {
  return (app.status?.resources ?? []).find(
    (r) => (r.group ?? "") === ref.group && r.kind === ref.kind && (r.namespace ?? "") === ref.namespace && r.name === ref.name,
  );
}

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </>
  );
}

export function SummaryTab({ app, resource, data }: { app: Application; resource: ResourceRef; data: ResourceData }) {
  const status = resourceStatus(app, resource);
  const live = data.live.value;
  const node = data.node.value;
  const forensics = useForensics(data);
  const meta = live?.metadata;
  const health = status?.health ?? node?.health;
  const trackingId = meta?.annotations?.[TRACKING_ID];
  const instance = meta?.labels?.[INSTANCE_LABEL];
  const owners = meta?.ownerReferences ?? node?.parentRefs ?? [];
  const images = node?.images ?? [];
  const created = node?.createdAt ?? meta?.creationTimestamp;
  return (
    <div className="rp-summary">
      <ErrorNotice error={data.live.error} />
      <dl className="rp-facts">
        <Row label="Kind">
          {resource.group ? `${resource.group}/` : ""}
          {resource.kind}
        </Row>
        <Row label="Name">{resource.name}</Row>
        <Row label="Namespace">{resource.namespace || <span className="rp-muted">(cluster-scoped)</span>}</Row>
        <Row label="Health">
          <HealthBadge status={health?.status} />
          {health?.message && <span className="rp-message"> {health.message}</span>}
        </Row>
        <Row label="Sync status">
          {status?.status ? <SyncBadge status={status.status} /> : <span className="rp-muted">not managed by Git (owned by another resource)</span>}
          {status?.requiresPruning && <span className="rp-message"> requires pruning</span>}
        </Row>
        <Row label="Tracking">
          {trackingId ? (
            <>
              annotation <code>{TRACKING_ID}</code>: <code>{trackingId}</code>
            </>
          ) : instance ? (
            <>
              label <code>{INSTANCE_LABEL}</code>: <code>{instance}</code>
            </>
          ) : (
            <span className="rp-muted">{data.live.loading ? "loading…" : "none"}</span>
          )}
        </Row>
        {images.length > 0 && (
          <Row label="Images">
            <ul className="rp-list">
              {images.map((image) => (
                <li key={image}>
                  <code>{image}</code>
                </li>
              ))}
            </ul>
          </Row>
        )}
        {(node?.info ?? []).map((info) => (
          <Row key={info.name} label={info.name}>
            {info.value}
          </Row>
        ))}
        {created && (
          <Row label="Created">
            <time dateTime={created}>{new Date(created).toLocaleString()}</time>
          </Row>
        )}
        {owners.length > 0 && (
          <Row label="Owner">
            {owners.map((o) => `${o.kind} ${o.name}`).join(", ")}
          </Row>
        )}
      </dl>
      <ForensicsTable forensics={forensics} />
    </div>
  );
}
