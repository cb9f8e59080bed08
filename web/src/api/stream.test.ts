import { ApiError } from "./client";
import { IDLE_MS, Multiplexer, RETRY_MS, type StreamState, type Topic } from "./stream";

/** A stand-in for the browser's EventSource: the test plays the server. */
class FakeEventSource {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  static opened: FakeEventSource[] = [];
  readyState = FakeEventSource.CONNECTING;
  onmessage: ((message: MessageEvent<string>) => void) | null = null;
  onerror: (() => void) | null = null;
  closed = false;

  constructor(
    readonly url: string,
    readonly init?: EventSourceInit,
  ) {
    FakeEventSource.opened.push(this);
  }

  send(body: unknown): void {
    this.readyState = FakeEventSource.OPEN;
    this.onmessage?.({ data: JSON.stringify(body) } as MessageEvent<string>);
  }

  fail(readyState: number): void {
    this.readyState = readyState;
    this.onerror?.();
  }

  close(): void {
    this.closed = true;
    this.readyState = FakeEventSource.CLOSED;
  }
}

interface Posted {
  url: string;
  body: { add?: { id: string; type: string; [key: string]: unknown }[]; remove?: string[] };
}

let posted: Posted[];
let answer: (url: string) => Response;

function ok(): Response {
  return new Response(JSON.stringify({ topics: [] }), { status: 200 });
}

beforeEach(() => {
  FakeEventSource.opened = [];
  posted = [];
  answer = ok;
  vi.stubGlobal("EventSource", FakeEventSource);
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string, init: RequestInit) => {
      posted.push({ url, body: JSON.parse(String(init.body)) as Posted["body"] });
      return answer(url);
    }),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function watch(mux: Multiplexer, topic: Topic) {
  const events: unknown[] = [];
  const states: StreamState[] = [];
  const errors: ApiError[] = [];
  const stop = mux.subscribe(topic, {
    onEvent: (payload) => events.push(payload),
    onState: (state) => states.push(state),
    onError: (error) => errors.push(error),
  });
  return { events, states, errors, stop };
}

describe("Multiplexer", () => {
  it("opens one connection lazily, adds each topic to it and routes events by topic", async () => {
    const mux = new Multiplexer();
    expect(FakeEventSource.opened).toHaveLength(0);
    const apps = watch(mux, { kind: "applications", query: { projects: ["default"], selector: "team=web" } });
    const tree = watch(mux, { kind: "tree", name: "guestbook" });
    expect(FakeEventSource.opened).toHaveLength(1);
    const source = FakeEventSource.opened[0];
    expect(source.url).toBe("api/v1/stream/multiplex");
    expect(source.init?.withCredentials).toBe(true);

    source.send({ stream: "s1", limits: { topics: 32, streams: 8 } });
    await settle();
    expect(posted).toEqual([
      {
        url: "api/v1/stream/multiplex/s1/topics",
        body: {
          add: [
            { id: "t1", type: "applications", projects: ["default"], selector: "team=web" },
            { id: "t2", type: "tree", name: "guestbook" },
          ],
        },
      },
    ]);
    expect(apps.states).toEqual(["connecting", "live"]);
    expect(tree.states).toEqual(["connecting", "live"]);

    source.send({ topic: "t1", result: { type: "ADDED", application: { metadata: { name: "a" } } } });
    source.send({ topic: "t2", result: { nodes: [] } });
    expect(apps.events).toEqual([{ type: "ADDED", application: { metadata: { name: "a" } } }]);
    expect(tree.events).toEqual([{ nodes: [] }]);

    const later = watch(mux, { kind: "tree", name: "web", appNamespace: "argocd" });
    await settle();
    expect(FakeEventSource.opened).toHaveLength(1);
    expect(posted[1].body).toEqual({ add: [{ id: "t3", type: "tree", name: "web", appNamespace: "argocd" }] });
    expect(later.states).toEqual(["connecting", "live"]);
  });

  it("removes a topic on unsubscribe, drops its late events, and closes a while after the last one", async () => {
    const mux = new Multiplexer();
    const apps = watch(mux, { kind: "applications" });
    const tree = watch(mux, { kind: "tree", name: "guestbook" });
    const source = FakeEventSource.opened[0];
    source.send({ stream: "s1" });
    await settle();

    apps.stop();
    await settle();
    expect(posted[1].body).toEqual({ remove: ["t1"] });
    source.send({ topic: "t1", result: { type: "MODIFIED" } });
    expect(apps.events).toEqual([]);
    expect(source.closed).toBe(false);

    vi.useFakeTimers();
    tree.stop();
    expect(source.closed).toBe(false); // kept for the next page's topics
    vi.advanceTimersByTime(IDLE_MS);
    expect(source.closed).toBe(true);
    expect(mux.connected).toBe(false);
    vi.useRealTimers();

    watch(mux, { kind: "applications" });
    expect(FakeEventSource.opened).toHaveLength(2); // opened again on demand
  });

  it("keeps the connection from one page to the next: the new page's topic reuses it", async () => {
    vi.useFakeTimers();
    const mux = new Multiplexer();
    const list = watch(mux, { kind: "applications" });
    const source = FakeEventSource.opened[0];
    source.send({ stream: "s1" });
    vi.useRealTimers();
    await settle();
    vi.useFakeTimers();
    list.stop(); // the list unmounts before the details page mounts
    const tree = watch(mux, { kind: "tree", name: "guestbook" });
    vi.advanceTimersByTime(IDLE_MS * 2);
    vi.useRealTimers();
    await settle();
    expect(source.closed).toBe(false);
    expect(FakeEventSource.opened).toHaveLength(1);
    expect(posted.map((p) => p.body)).toEqual([
      { add: [expect.objectContaining({ id: "t1", type: "applications" })] },
      { remove: ["t1"] },
      { add: [expect.objectContaining({ id: "t2", type: "tree", name: "guestbook" })] },
    ]);
    source.send({ topic: "t2", result: { nodes: [] } });
    expect(tree.events).toEqual([{ nodes: [] }]);
  });

  it("adds every topic again after a reconnect: reconnecting, then live", async () => {
    const mux = new Multiplexer();
    const apps = watch(mux, { kind: "applications" });
    const tree = watch(mux, { kind: "tree", name: "guestbook" });
    const source = FakeEventSource.opened[0];
    source.send({ stream: "s1" });
    await settle();

    source.fail(FakeEventSource.CONNECTING); // the browser reconnects by itself
    expect(apps.states.at(-1)).toBe("reconnecting");
    expect(tree.states.at(-1)).toBe("reconnecting");
    source.send({ stream: "s2" });
    await settle();
    expect(posted.at(-1)).toEqual({
      url: "api/v1/stream/multiplex/s2/topics",
      body: { add: [{ id: "t1", type: "applications" }, { id: "t2", type: "tree", name: "guestbook" }] },
    });
    expect(apps.states).toEqual(["connecting", "live", "reconnecting", "live"]);
    expect(tree.states).toEqual(["connecting", "live", "reconnecting", "live"]);
    expect(FakeEventSource.opened).toHaveLength(1);
  });

  it("opens a new connection when the browser gave up on the old one", async () => {
    vi.useFakeTimers();
    const mux = new Multiplexer();
    const apps = watch(mux, { kind: "applications" });
    FakeEventSource.opened[0].fail(FakeEventSource.CLOSED); // e.g. a 429 or a 502
    expect(apps.states).toEqual(["connecting", "reconnecting"]);
    expect(FakeEventSource.opened).toHaveLength(1);
    vi.advanceTimersByTime(RETRY_MS);
    expect(FakeEventSource.opened).toHaveLength(2);
    FakeEventSource.opened[1].send({ stream: "s9" });
    vi.useRealTimers();
    await settle();
    expect(posted.at(-1)?.url).toBe("api/v1/stream/multiplex/s9/topics");
    expect(apps.states.at(-1)).toBe("live");
  });

  it("adds a topic again when the server says its watch ended", async () => {
    const mux = new Multiplexer();
    const apps = watch(mux, { kind: "applications" });
    const source = FakeEventSource.opened[0];
    source.send({ stream: "s1" });
    await settle();
    source.send({ topic: "t1", ended: true, error: "the watch ended; add it again" });
    expect(apps.states.at(-1)).toBe("reconnecting");
    await settle();
    expect(posted.at(-1)?.body).toEqual({ add: [{ id: "t1", type: "applications" }] });
    expect(apps.states.at(-1)).toBe("live");
  });

  it("gives the API's refusal of a topic to that subscriber only", async () => {
    const mux = new Multiplexer();
    const apps = watch(mux, { kind: "applications" });
    const source = FakeEventSource.opened[0];
    source.send({ stream: "s1" });
    await settle();
    answer = () => new Response(JSON.stringify({ code: 7, message: "permission denied" }), { status: 403 });
    const tree = watch(mux, { kind: "tree", name: "secret-app" });
    await settle();
    expect(tree.errors.map((e) => [e.status, e.message])).toEqual([[403, "permission denied"]]);
    expect(tree.states).toEqual(["connecting"]);
    expect(apps.errors).toEqual([]);
    expect(apps.states.at(-1)).toBe("live");
  });

  it("reconnects when the server no longer knows the stream (404)", async () => {
    const mux = new Multiplexer();
    const apps = watch(mux, { kind: "applications" });
    FakeEventSource.opened[0].send({ stream: "s1" });
    await settle();
    answer = () => new Response(JSON.stringify({ code: 5, message: "stream not found" }), { status: 404 });
    watch(mux, { kind: "tree", name: "guestbook" });
    await settle();
    expect(FakeEventSource.opened).toHaveLength(2);
    expect(FakeEventSource.opened[0].closed).toBe(true);
    expect(apps.states.at(-1)).toBe("reconnecting");
    answer = ok;
    FakeEventSource.opened[1].send({ stream: "s2" });
    await settle();
    expect(posted.at(-1)?.body.add?.map((t) => t.id)).toEqual(["t1", "t2"]);
    expect(apps.states.at(-1)).toBe("live");
  });
});
