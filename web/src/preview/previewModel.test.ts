import { changedFields, changes, resourceTitle } from "./previewModel";
import type { ResourceDiffItem } from "./previewModel";

const cm = (version: string) => JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings" }, data: { version } });

function item(over: Partial<ResourceDiffItem>): ResourceDiffItem {
  return { group: "", kind: "ConfigMap", namespace: "ns", name: "settings", ...over };
}

describe("changes", () => {
  it.each([
    ["changed", item({ normalizedLiveState: cm("1"), predictedLiveState: cm("2"), modified: true }), "changed", ["data.version"]],
    ["added", item({ liveState: "null", targetState: cm("2"), normalizedLiveState: "null", predictedLiveState: cm("2"), modified: true }), "added", []],
    ["removed", item({ liveState: cm("1"), targetState: "null", normalizedLiveState: cm("1"), predictedLiveState: "null", modified: true }), "removed", []],
    ["falls back to live/target", item({ liveState: cm("1"), targetState: cm("3"), modified: true }), "changed", ["data.version"]],
  ])("%s", (_, given, change, fields) => {
    const [found] = changes({ items: [given] });
    expect(found.change).toBe(change);
    expect(found.fields).toEqual(fields);
  });

  it("leaves out unchanged resources and hooks", () => {
    const same = item({ normalizedLiveState: cm("1"), predictedLiveState: cm("1"), modified: false });
    const hook = item({ name: "hook", liveState: "null", targetState: cm("1"), hook: true });
    expect(changes({ items: [same, hook] })).toEqual([]);
    expect(changes({ items: null })).toEqual([]);
  });

  it("shows each side as YAML with sorted keys", () => {
    const [found] = changes({ items: [item({ normalizedLiveState: cm("1"), predictedLiveState: cm("2"), modified: true })] });
    expect(found.liveYaml).toBe("apiVersion: v1\ndata:\n  version: \"1\"\nkind: ConfigMap\nmetadata:\n  name: settings\n");
    expect(found.targetYaml).toContain('version: "2"');
  });
});

describe("changedFields", () => {
  it.each([
    [{ a: 1 }, { a: 1 }, []],
    [{ a: 1 }, { a: 2 }, ["a"]],
    [{ a: { b: 1 } }, { a: { b: 1, c: { d: 2 } } }, ["a.c.d"]],
    [{ l: [1, 2] }, { l: [1, 3] }, ["l[1]"]],
    [{ l: [1] }, { l: [1, 2] }, ["l"]],
  ])("%j → %j", (live, target, expected) => {
    expect(changedFields(live, target)).toEqual(expected);
  });
});

it("titles a resource with its group when not core", () => {
  expect(resourceTitle({ group: "apps", kind: "Deployment", namespace: "ns", name: "web" })).toBe("apps/Deployment ns/web");
  expect(resourceTitle({ group: "", kind: "Namespace", namespace: "", name: "ns" })).toBe("Namespace ns");
});
