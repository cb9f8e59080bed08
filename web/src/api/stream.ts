/**
 * Live updates. Pages subscribe to topics; the contract pages rely on:
 * - `onEvent` gets each event's `result` (an ApplicationWatchEvent, or an ApplicationTree);
 * - `onState` tells whether the stream is live, so the page can say "reconnecting…";
 * - `onError` (optional) gets the API's refusal of the topic (e.g. no permission on the app);
 * - the returned function unsubscribes.
 * How topics reach the server is this module's business: pages never open EventSources.
 *
 * All topics of a tab share one connection, Kapstan's multiplexed stream
 * (`GET api/v1/stream/multiplex`, docs/api.md): Argo CD's UI opens one EventSource per watch
 * and runs into the browser's six connections per host. The connection is opened on the first
 * subscribe and closed a few seconds after the last unsubscribe (IDLE_MS: moving from one page
 * to the next unsubscribes the old page's topics before the new page subscribes, and must not
 * cost a new connection); the server announces a stream id, topics are
 * added and removed with `POST api/v1/stream/multiplex/{id}/topics` (one at a time, in order);
 * after a reconnect (a new id) every topic is added again, its state going "reconnecting" then
 * "live".
 */
import { api, apiUrl, ApiError, type Query } from "./client";
import type { ApplicationTree, ApplicationWatchEvent } from "./types";

export type StreamState = "connecting" | "live" | "reconnecting";

export type Topic =
  | { kind: "applications"; query?: Query }
  | { kind: "tree"; name: string; appNamespace?: string };

type Payload<T extends Topic> = T extends { kind: "applications" } ? ApplicationWatchEvent : ApplicationTree;

/** What the server sends on the multiplexed stream (see docs/api.md). */
type Message =
  | { stream: string }
  | { topic: string; result: unknown }
  | { topic: string; ended: true; error?: string };

interface Listener {
  topic: Topic;
  onEvent: (payload: unknown) => void;
  onState: (state: StreamState) => void;
  onError: (error: ApiError) => void;
  state: StreamState;
}

const MULTIPLEX = "stream/multiplex";
/** The query keys the server takes for an applications topic (others are not filters). */
const APP_KEYS = ["name", "names", "projects", "selector", "repo", "appNamespace", "resourceVersion", "fields"];
/** How long to wait before opening again a connection the browser gave up (a 429, a 5xx). */
export const RETRY_MS = 2000;
/** A connection without topics is kept this long, for the next page's topics. */
export const IDLE_MS = 5000;

function wire(id: string, topic: Topic): Record<string, unknown> {
  if (topic.kind === "tree") {
    return { id, type: "tree", name: topic.name, ...(topic.appNamespace ? { appNamespace: topic.appNamespace } : {}) };
  }
  const body: Record<string, unknown> = { id, type: "applications" };
  for (const [key, value] of Object.entries(topic.query ?? {})) {
    if (value === undefined || !APP_KEYS.includes(key)) continue;
    body[key] = Array.isArray(value) ? value : key === "projects" || key === "names" ? [String(value)] : String(value);
  }
  return body;
}

/** One tab's connection and its topics (exported for tests; pages use `subscribe`). */
export class Multiplexer {
  private source: EventSource | null = null;
  private streamId = "";
  private readonly listeners = new Map<string, Listener>();
  private next = 0;
  private chain: Promise<void> = Promise.resolve();
  private retry: ReturnType<typeof setTimeout> | undefined;
  private idle: ReturnType<typeof setTimeout> | undefined;

  subscribe(topic: Topic, listener: Omit<Listener, "state" | "topic">): () => void {
    const id = `t${++this.next}`;
    this.listeners.set(id, { ...listener, topic, state: "connecting" });
    listener.onState("connecting");
    clearTimeout(this.idle);
    if (!this.source) this.open();
    else if (this.streamId) this.change(this.streamId, { add: [wire(id, topic)] }, [id]);
    return () => this.unsubscribe(id);
  }

  /** Open connections (for tests: one per tab is the point). */
  get connected(): boolean {
    return this.source !== null;
  }

  private unsubscribe(id: string): void {
    if (!this.listeners.delete(id)) return;
    if (this.streamId) this.change(this.streamId, { remove: [id] }, []);
    if (this.listeners.size === 0) {
      clearTimeout(this.idle);
      this.idle = setTimeout(() => {
        if (this.listeners.size === 0) this.close();
      }, IDLE_MS);
    }
  }

  private open(): void {
    clearTimeout(this.retry);
    const source = new EventSource(apiUrl(MULTIPLEX), { withCredentials: true });
    this.source = source;
    source.onmessage = (message: MessageEvent<string>) => this.received(JSON.parse(message.data) as Message);
    source.onerror = () => {
      if (this.source !== source) return;
      this.streamId = ""; // the server's session ended with the connection
      this.setAll("reconnecting");
      // EventSource reconnects by itself unless the answer was not a stream (CLOSED).
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        this.source = null;
        this.retry = setTimeout(() => {
          if (!this.source && this.listeners.size > 0) this.open();
        }, RETRY_MS);
      }
    };
  }

  private close(): void {
    clearTimeout(this.retry);
    clearTimeout(this.idle);
    this.source?.close();
    this.source = null;
    this.streamId = "";
  }

  private received(message: Message): void {
    if ("stream" in message) {
      this.streamId = message.stream;
      const ids = [...this.listeners.keys()];
      if (ids.length > 0) {
        const add = ids.map((id) => wire(id, this.listeners.get(id)!.topic));
        this.change(message.stream, { add }, ids);
      }
      return;
    }
    const listener = this.listeners.get(message.topic);
    if (!listener) return;
    if ("ended" in message) {
      // The server's watch of this topic ended (it fell behind): add it again.
      this.set(listener, "reconnecting");
      if (this.streamId) this.change(this.streamId, { add: [wire(message.topic, listener.topic)] }, [message.topic]);
      return;
    }
    listener.onEvent(message.result);
  }

  /** POSTs one change after the ones before; `added` go live once the server took them. */
  private change(stream: string, body: { add?: unknown[]; remove?: string[] }, added: string[]): void {
    this.chain = this.chain.then(async () => {
      if (stream !== this.streamId) return; // a reconnect since: the new session adds all
      const add = (body.add ?? []).filter((t) => this.listeners.has((t as { id: string }).id));
      if (add.length === 0 && !body.remove?.length) return;
      try {
        const sent = { ...(add.length ? { add } : {}), ...(body.remove?.length ? { remove: body.remove } : {}) };
        await api.post(`${MULTIPLEX}/${encodeURIComponent(stream)}/topics`, sent);
        for (const id of added) {
          const listener = this.listeners.get(id);
          if (listener) this.set(listener, "live");
        }
      } catch (error) {
        const refused = error instanceof ApiError ? error : new ApiError(0, String(error));
        if (refused.status === 404 && stream === this.streamId) {
          this.close(); // the session is gone: a new connection adds every topic again
          this.setAll("reconnecting");
          this.open();
          return;
        }
        for (const id of added) this.listeners.get(id)?.onError(refused);
      }
    });
  }

  private set(listener: Listener, state: StreamState): void {
    if (listener.state === state) return;
    listener.state = state;
    listener.onState(state);
  }

  private setAll(state: StreamState): void {
    for (const listener of this.listeners.values()) this.set(listener, state);
  }
}

const shared = new Multiplexer();

export function subscribe<T extends Topic>(
  topic: T,
  onEvent: (payload: Payload<T>) => void,
  onState: (state: StreamState) => void = () => {},
  onError: (error: ApiError) => void = (error) => console.error(`stream topic refused: ${error.message}`),
): () => void {
  return shared.subscribe(topic, { onEvent: onEvent as (payload: unknown) => void, onState, onError });
}
