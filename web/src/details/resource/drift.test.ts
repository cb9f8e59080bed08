import { parse } from "yaml";
import { forensicsOf } from "./Forensics";
import { describe as describeRecords, differingPaths, dottedPath, driftRecords, listItemMatches } from "./drift";

// The controller's own table of cases (tests/unit/engine/drift/testdata): the browser must
// attribute drift exactly as the controller and the CLI do.
const CASES = import.meta.glob("../../../../tests/unit/engine/drift/testdata/*.yaml", {
  query: "?raw",
  import: "default",
  eager: true,
}) as Record<string, string>;

interface Case {
  live: unknown;
  paths: string[];
  expected: Record<string, string>[];
  description?: string;
}

const cases = Object.entries(CASES).map(([file, text]) => [file.split("/").pop()!, parse(text) as Case] as const);

describe("driftRecords on the controller's cases", () => {
  it("finds the cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(12);
  });

  it.each(cases)("%s", (_, doc) => {
    const records = driftRecords(doc.live, doc.paths);
    // to_dict() in Python leaves empty values out.
    const asDicts = records.map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== "")));
    expect(asDicts).toEqual(doc.expected);
    if (doc.description !== undefined) expect(describeRecords(records)).toBe(doc.description);
  });
});

describe("own managers", () => {
  const live = cases.find(([file]) => file === "shared-ownership-latest-wins.yaml")![1].live;
  it.each([
    [["capacity-planner"], ["platform-bot"]],
    [[], ["capacity-planner"]],
    [["capacity-planner", "platform-bot"], ["kapstan-controller"]],
    [["kapstan-controller", "capacity-planner", "platform-bot"], []],
  ])("own %j blames %j", (own, managers) => {
    expect(driftRecords(live, ["/spec/replicas"], own).map((r) => r.manager)).toEqual(managers);
  });
});

describe("helpers", () => {
  it.each([
    ["/spec/containers/0/image", "spec.containers[0].image"],
    ["/metadata/labels/app.kubernetes.io~1name", "metadata.labels[app.kubernetes.io/name]"],
    ["/spec/replicas", "spec.replicas"],
  ])("dottedPath %s", (pointer, dotted) => {
    expect(dottedPath(pointer)).toBe(dotted);
  });

  it.each([
    [{ name: "web", image: "x" }, 'k:{"name":"web"}', true],
    [{ name: "api" }, 'k:{"name":"web"}', false],
    ["foregroundDeletion", 'v:"foregroundDeletion"', true],
    [{ name: "web" }, "k:{not json", false],
  ])("listItemMatches %j %s", (item, selector, expected) => {
    expect(listItemMatches(item, selector)).toBe(expected);
  });

  it.each([
    ["equal", { a: 1, b: [1, 2] }, { a: 1, b: [1, 2] }, []],
    ["scalar changed", { spec: { replicas: 3 } }, { spec: { replicas: 1 } }, ["/spec/replicas"]],
    ["key on one side", { metadata: { labels: { x: "1" } } }, { metadata: { labels: {} } }, ["/metadata/labels/x"]],
    ["list item changed", { c: [{ image: "a" }, { image: "b" }] }, { c: [{ image: "a" }, { image: "c" }] }, ["/c/1/image"]],
    ["list grew", { c: [1] }, { c: [1, 2] }, ["/c/1"]],
    ["escaped key", { l: { "a/b": "1" } }, { l: { "a/b": "2" } }, ["/l/a~1b"]],
  ])("differingPaths: %s", (_, live, desired, paths) => {
    expect(differingPaths(live, desired)).toEqual(paths);
  });
});

describe("forensicsOf", () => {
  it("blames kubectl for a scale and lists what nobody can be blamed for", () => {
    const scaled = cases.find(([file]) => file === "scalar-replicas-scale-subresource.yaml")![1].live as Record<string, unknown>;
    const normalized = { spec: { replicas: 5, paused: true } };
    const predicted = { spec: { replicas: 1 } };
    const managed = {
      kind: "Deployment",
      name: "web",
      modified: true,
      normalizedLiveState: JSON.stringify(normalized),
      predictedLiveState: JSON.stringify(predicted),
    };
    const found = forensicsOf(scaled, managed);
    expect(found?.records.map((r) => [r.path, r.manager, r.subresource])).toEqual([["/spec/replicas", "kubectl", "scale"]]);
    expect(found?.unattributed).toEqual(["/spec/paused"]);
    expect(forensicsOf(scaled, { ...managed, modified: false })).toBeNull();
  });
});
