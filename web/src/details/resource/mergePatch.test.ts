import { mergePatch } from "./mergePatch";

describe("mergePatch", () => {
  it.each([
    ["nothing changed", { a: 1, b: { c: [1] } }, { a: 1, b: { c: [1] } }, null],
    ["a label added", { metadata: { labels: { app: "web" } } }, { metadata: { labels: { app: "web", team: "x" } } }, { metadata: { labels: { team: "x" } } }],
    ["a key removed is null", { metadata: { labels: { app: "web", old: "1" } } }, { metadata: { labels: { app: "web" } } }, { metadata: { labels: { old: null } } }],
    ["a scalar changed", { spec: { replicas: 1, paused: false } }, { spec: { replicas: 3, paused: false } }, { spec: { replicas: 3 } }],
    ["lists are replaced whole", { spec: { ports: [1, 2] } }, { spec: { ports: [1] } }, { spec: { ports: [1] } }],
    ["a map replaced by a scalar", { a: { b: 1 } }, { a: "x" }, { a: "x" }],
    ["a new nested map", { spec: {} }, { spec: { template: { x: 1 } } }, { spec: { template: { x: 1 } } }],
  ])("%s", (_, before, after, expected) => {
    expect(mergePatch(before, after)).toEqual(expected);
  });
});
