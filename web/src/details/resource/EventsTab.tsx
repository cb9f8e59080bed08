/** The Kubernetes Events of the resource (by its UID), newest first. */
import { useEffect, useState } from "react";
import type { ResourceRef } from "../../api/resourceRef";
import type { Application } from "../../api/types";
import { ErrorNotice } from "../../components/ErrorNotice";
import { resourceApi, type KubeEvent } from "./resourceApi";
import type { ResourceData } from "./useResource";

const lastSeen = (e: KubeEvent) => e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? "";

export function EventsTab({ app, resource, data }: { app: Application; resource: ResourceRef; data: ResourceData }) {
  const uid = data.live.value?.metadata?.uid ?? data.node.value?.uid ?? "";
  const [events, setEvents] = useState<KubeEvent[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [asked, setAsked] = useState(0);
  useEffect(() => {
    if (!uid) return;
    let gone = false;
    setError(null);
    resourceApi.events(app, resource, uid).then(
      (found) => !gone && setEvents([...found].sort((a, b) => lastSeen(b).localeCompare(lastSeen(a)))),
      (failed: unknown) => !gone && setError(failed),
    );
    return () => {
      gone = true;
    };
  }, [app.metadata.name, uid, resource.namespace, resource.name, asked]);
  const reload = (
    <button type="button" onClick={() => setAsked((n) => n + 1)}>
      Reload
    </button>
  );
  if (error)
    return (
      <>
        <ErrorNotice error={error} />
        {reload}
      </>
    );
  if (!uid) return data.live.error ? <ErrorNotice error={data.live.error} /> : <p className="rp-muted">Loading…</p>;
  if (!events) return <p className="rp-muted">Loading…</p>;
  if (events.length === 0)
    return (
      <div className="rp-toolbar">
        <span className="rp-muted">No events for this resource.</span> {reload}
      </div>
    );
  return (
    <>
      <div className="rp-toolbar">{reload}</div>
      <table className="rp-table" aria-label={`Events of ${resource.kind} ${resource.name}`}>
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col">Reason</th>
            <th scope="col">Message</th>
            <th scope="col">Count</th>
            <th scope="col">Last seen</th>
          </tr>
        </thead>
        <tbody>
          {events.map((event) => (
            <tr key={event.metadata.uid ?? event.metadata.name}>
              <td className={event.type === "Warning" ? "tone-warn" : undefined}>{event.type}</td>
              <td>{event.reason}</td>
              <td>{event.message}</td>
              <td>{event.count ?? 1}</td>
              <td>{lastSeen(event) && <time dateTime={lastSeen(event)}>{new Date(lastSeen(event)).toLocaleString()}</time>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
