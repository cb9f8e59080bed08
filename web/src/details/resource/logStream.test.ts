import { ApiError } from "../../api/client";
import { LineSplitter, entriesOf, streamLogs } from "./logStream";

const frame = (content: string, extra = {}) => JSON.stringify({ result: { content, podName: "web-1", ...extra } });

function answerOf(chunks: string[], status = 200): Response {
  const bytes = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(bytes.encode(chunk));
      controller.close();
    },
  });
  return new Response(body, { status });
}

describe("LineSplitter", () => {
  it.each([
    [["a\nb\n"], ["a", "b"], []],
    [["a", "b\nc"], ["ab"], ["c"]],
    [["\n\n", "x\n"], ["x"], []],
  ])("%j", (chunks, lines, rest) => {
    const splitter = new LineSplitter();
    expect(chunks.flatMap((c) => splitter.push(c))).toEqual(lines);
    expect(splitter.end()).toEqual(rest);
  });
});

describe("entriesOf", () => {
  it("keeps entries and drops the empty end marker", () => {
    const got = entriesOf([frame("hello"), frame("", { last: true })], 200);
    expect(got.map((e) => e.content)).toEqual(["hello"]);
  });
  it("an error frame is the API's message", () => {
    expect(() => entriesOf([JSON.stringify({ error: { message: "pods not found", code: 5 } })], 200)).toThrow("pods not found");
  });
  it("garbage is an error, not skipped", () => {
    expect(() => entriesOf(["<html>"], 200)).toThrow(/not JSON/);
  });
});

describe("streamLogs", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("delivers entries split across chunks, in order", async () => {
    const whole = `${frame("one")}\n${frame("two")}\n${frame("three")}\n`;
    const fetched = vi.fn(async (_url: string) => answerOf([whole.slice(0, 30), whole.slice(30, 70), whole.slice(70)]));
    vi.stubGlobal("fetch", fetched);
    const seen: string[] = [];
    await streamLogs("web", { follow: true, tailLines: 10 }, (e) => seen.push(...e.map((x) => x.content)), new AbortController().signal);
    expect(seen).toEqual(["one", "two", "three"]);
    expect(fetched.mock.calls[0][0]).toBe("api/v1/applications/web/logs?follow=true&tailLines=10");
  });

  it("rejects with the API's message", async () => {
    vi.stubGlobal("fetch", async () =>
      new Response(JSON.stringify({ message: "permission denied: logs, get, default/web", code: 7 }), { status: 403 }),
    );
    const failed = streamLogs("web", {}, () => {}, new AbortController().signal);
    await expect(failed).rejects.toBeInstanceOf(ApiError);
    await expect(failed).rejects.toThrow("permission denied: logs, get, default/web");
  });

  it("an abort is not an error", async () => {
    const controller = new AbortController();
    vi.stubGlobal("fetch", async () => {
      controller.abort();
      throw new DOMException("aborted", "AbortError");
    });
    await expect(streamLogs("web", {}, () => {}, controller.signal)).resolves.toBeUndefined();
  });
});
