/**
 * Pod logs as a stream: `GET api/v1/applications/{app}/logs` answers newline-delimited
 * `{"result": applicationLogEntry}` frames (grpc-gateway's shape; an `{"error": …}` frame
 * ends a stream that failed after it started). Read with fetch + ReadableStream, because
 * EventSource cannot be aborted per query and api/stream.ts is for watch topics only.
 *
 * Contract of `streamLogs`: `onOpen` is called once the server accepted the query (the
 * stream is open, lines may take a while); `onEntries` gets each chunk's entries in order; the promise
 * resolves when the server ends the stream (not following, or the pod went away), rejects
 * with an ApiError carrying the API's message, and resolves quietly when `signal` aborts.
 */
import { ApiError, apiUrl, type Query } from "../../api/client";

export interface LogEntry {
  content: string;
  timeStamp?: string;
  timeStampStr?: string;
  podName?: string;
  /** The server's end-of-stream marker (an entry with no content). */
  last?: boolean;
}

/** Splits text arriving in arbitrary chunks into complete lines. */
export class LineSplitter {
  private rest = "";

  push(chunk: string): string[] {
    const lines = (this.rest + chunk).split("\n");
    this.rest = lines.pop() ?? "";
    return lines.filter((line) => line.trim() !== "");
  }

  end(): string[] {
    const last = this.rest.trim();
    this.rest = "";
    return last ? [last] : [];
  }
}

interface Frame {
  result?: LogEntry;
  error?: { message?: string; code?: number };
}

/** The entries of complete lines; a line that is not a frame is an error, not skipped. */
export function entriesOf(lines: string[], status: number): LogEntry[] {
  const entries: LogEntry[] = [];
  for (const line of lines) {
    let frame: Frame;
    try {
      frame = JSON.parse(line) as Frame;
    } catch {
      throw new ApiError(status, `the log stream sent something that is not JSON: ${line.slice(0, 80)}`);
    }
    if (frame.error) throw new ApiError(status, frame.error.message || "the log stream failed", frame.error.code);
    const entry = frame.result;
    if (entry && !(entry.last && !entry.content)) entries.push(entry);
  }
  return entries;
}

async function failure(answer: Response): Promise<ApiError> {
  let message = `${answer.status} ${answer.statusText}`;
  try {
    const body = (await answer.json()) as { message?: string; error?: string; code?: number };
    return new ApiError(answer.status, body.message || body.error || message, body.code);
  } catch {
    return new ApiError(answer.status, message);
  }
}

export async function streamLogs(
  app: string,
  query: Query,
  onEntries: (entries: LogEntry[]) => void,
  signal: AbortSignal,
  onOpen: () => void = () => {},
): Promise<void> {
  try {
    const answer = await fetch(apiUrl(`applications/${encodeURIComponent(app)}/logs`, query), {
      credentials: "same-origin",
      headers: { Accept: "application/x-ndjson" },
      signal,
    });
    if (!answer.ok) throw await failure(answer);
    if (!answer.body) throw new ApiError(answer.status, "the log stream has no body");
    onOpen();
    const reader = answer.body.pipeThrough(new TextDecoderStream()).getReader();
    const lines = new LineSplitter();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const entries = entriesOf(lines.push(value), answer.status);
      if (entries.length) onEntries(entries);
    }
    const tail = entriesOf(lines.end(), answer.status);
    if (tail.length) onEntries(tail);
  } catch (error) {
    if (signal.aborted) return; // the user changed the query or left: not an error
    throw error;
  }
}
