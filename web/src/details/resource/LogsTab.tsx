/**
 * Logs of a Pod, or of a workload's Pods: streamed from `GET .../logs` (./logStream), with
 * follow on/off, the container, how many lines to start with, since when, search with
 * highlighting, wrapping and a download of what was received. Changing an option restarts
 * the stream; the API's error is shown here.
 */
import { useEffect, useMemo, useState } from "react";
import type { ResourceRef } from "../../api/resourceRef";
import type { Application } from "../../api/types";
import { ErrorNotice } from "../../components/ErrorNotice";
import { countMatches } from "../../widgets/logs/highlight";
import { LogViewer } from "../../widgets/logs/LogViewer";
import { streamLogs, type LogEntry } from "./logStream";
import type { KubeObject } from "./resourceApi";
import type { ResourceData } from "./useResource";

/** Received lines kept at most: older ones are dropped first. */
export const MAX_LINES = 50_000;
const TAILS = [100, 500, 1000, 0] as const;
const SINCE = [
  { seconds: 0, label: "any time" },
  { seconds: 300, label: "last 5 minutes" },
  { seconds: 3600, label: "last hour" },
  { seconds: 86400, label: "last day" },
] as const;
type StreamState = "connecting" | "streaming" | "ended" | "failed";

function containersOf(obj: KubeObject | null): string[] {
  const spec = obj?.spec as
    | { containers?: { name: string }[]; initContainers?: { name: string }[]; template?: { spec?: { containers?: { name: string }[] } }; jobTemplate?: { spec?: { template?: { spec?: { containers?: { name: string }[] } } } } }
    | undefined;
  const pod = obj?.kind === "Pod" ? spec : (spec?.template?.spec ?? spec?.jobTemplate?.spec?.template?.spec);
  const initContainers = obj?.kind === "Pod" ? (spec?.initContainers ?? []) : [];
  return [...(pod?.containers ?? []), ...initContainers].map((c) => c.name);
}

function download(name: string, lines: LogEntry[]) {
  const text = lines.map((l) => (l.podName ? `${l.podName} ` : "") + `${l.timeStampStr ?? l.timeStamp ?? ""} ${l.content}`).join("\n");
  const url = URL.createObjectURL(new Blob([`${text}\n`], { type: "text/plain" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = `${name}.log`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

export function LogsTab({ app, resource, data }: { app: Application; resource: ResourceRef; data: ResourceData }) {
  const containers = useMemo(() => containersOf(data.live.value), [data.live.value]);
  const [container, setContainer] = useState("");
  const [follow, setFollow] = useState(true);
  const [tail, setTail] = useState<number>(100);
  const [since, setSince] = useState<number>(0);
  const [search, setSearch] = useState("");
  const [wrap, setWrap] = useState(true);
  const [lines, setLines] = useState<LogEntry[]>([]);
  const [state, setState] = useState<StreamState>("connecting");
  const [error, setError] = useState<unknown>(null);
  const [restarts, setRestarts] = useState(0);
  const chosen = container || containers[0] || "";
  const isPod = resource.kind === "Pod";

  useEffect(() => {
    if (!data.live.value) return; // the containers are not known yet
    const abort = new AbortController();
    setLines([]);
    setError(null);
    setState("connecting");
    const query = {
      ...(isPod
        ? { podName: resource.name }
        : { kind: resource.kind, group: resource.group, resourceName: resource.name }),
      namespace: resource.namespace,
      container: chosen || undefined,
      follow,
      tailLines: tail || undefined,
      sinceSeconds: since || undefined,
      appNamespace: app.metadata.namespace,
    };
    streamLogs(
      app.metadata.name,
      query,
      (entries) => {
        setState("streaming");
        setLines((before) => {
          const next = before.concat(entries);
          return next.length > MAX_LINES ? next.slice(next.length - MAX_LINES) : next;
        });
      },
      abort.signal,
      () => setState("streaming"),
    ).then(
      () => !abort.signal.aborted && setState("ended"),
      (failed: unknown) => {
        if (abort.signal.aborted) return;
        setError(failed);
        setState("failed");
      },
    );
    return () => abort.abort();
  }, [app.metadata.name, app.metadata.namespace, resource.kind, resource.group, resource.name, resource.namespace, isPod, chosen, follow, tail, since, restarts, Boolean(data.live.value)]);

  const matches = useMemo(() => countMatches(lines.map((l) => l.content), search), [lines, search]);
  const pods = new Set(lines.map((l) => l.podName));
  const stateText = {
    connecting: "Connecting…",
    streaming: follow ? "Following" : "Received",
    ended: follow ? "The stream ended (the pod may have stopped)." : "All lines received.",
    failed: "The stream failed.",
  }[state];

  return (
    <div className="rp-logs">
      <div className="rp-toolbar">
        {containers.length > 0 && (
          <label>
            Container{" "}
            <select value={chosen} onChange={(e) => setContainer(e.target.value)}>
              {containers.map((name) => (
                <option key={name}>{name}</option>
              ))}
            </select>
          </label>
        )}
        <label>
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow
        </label>
        <label>
          Tail{" "}
          <select value={tail} onChange={(e) => setTail(Number(e.target.value))}>
            {TAILS.map((n) => (
              <option key={n} value={n}>
                {n ? `${n} lines` : "all lines"}
              </option>
            ))}
          </select>
        </label>
        <label>
          Since{" "}
          <select value={since} onChange={(e) => setSince(Number(e.target.value))}>
            {SINCE.map((s) => (
              <option key={s.seconds} value={s.seconds}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          <input type="checkbox" checked={wrap} onChange={(e) => setWrap(e.target.checked)} /> Wrap lines
        </label>
        <input
          type="search"
          aria-label="Search in logs"
          placeholder="Search…"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        {search && <span className="rp-muted">{matches} {matches === 1 ? "match" : "matches"}</span>}
        <button type="button" onClick={() => download(resource.name, lines)} disabled={lines.length === 0}>
          Download
        </button>
        {(state === "ended" || state === "failed") && (
          <button type="button" onClick={() => setRestarts((n) => n + 1)}>
            Reconnect
          </button>
        )}
      </div>
      <p className="rp-muted rp-stream-state">
        {/* Only the stream's state is announced, not every new line. */}
        <span role="status">{stateText}</span> · {lines.length} {lines.length === 1 ? "line" : "lines"}
      </p>
      <ErrorNotice error={error} />
      <LogViewer
        lines={lines}
        search={search}
        wrap={wrap}
        follow={follow}
        showPod={pods.size > 1 || !isPod}
        label={`Logs of ${resource.kind} ${resource.name}`}
      />
    </div>
  );
}
