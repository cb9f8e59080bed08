/**
 * Live updates. Pages subscribe to topics; the contract pages rely on:
 * - `onEvent` gets each event's `result` (an ApplicationWatchEvent, or an ApplicationTree);
 * - `onState` tells whether the stream is live, so the page can say "reconnecting…";
 * - the returned function unsubscribes.
 * How topics reach the server (one EventSource per topic today) is this module's business:
 * pages never open EventSources themselves.
 */
import { apiUrl, type Query } from "./client";
import type { ApplicationTree, ApplicationWatchEvent } from "./types";

export type StreamState = "connecting" | "live" | "reconnecting";

export type Topic =
  | { kind: "applications"; query?: Query }
  | { kind: "tree"; name: string; appNamespace?: string };

type Payload<T extends Topic> = T extends { kind: "applications" } ? ApplicationWatchEvent : ApplicationTree;

function urlOf(topic: Topic): string {
  if (topic.kind === "applications") return apiUrl("stream/applications", topic.query);
  return apiUrl(`stream/applications/${encodeURIComponent(topic.name)}/resource-tree`, {
    appNamespace: topic.appNamespace,
  });
}

export function subscribe<T extends Topic>(
  topic: T,
  onEvent: (payload: Payload<T>) => void,
  onState: (state: StreamState) => void = () => {},
): () => void {
  const source = new EventSource(urlOf(topic), { withCredentials: true });
  onState("connecting");
  source.onopen = () => onState("live");
  source.onerror = () => onState("reconnecting"); // EventSource reconnects by itself
  source.onmessage = (message: MessageEvent<string>) => {
    const data = JSON.parse(message.data) as { result?: Payload<T> };
    if (data.result !== undefined) onEvent(data.result);
  };
  return () => source.close();
}
