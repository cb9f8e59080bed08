import { shownTab, tabAfterKey, tabsOf } from "./tabs";

const deployment = { group: "apps", kind: "Deployment", namespace: "web", name: "web" };
const service = { group: "", kind: "Service", namespace: "web", name: "web" };

describe("tabs", () => {
  it("logs only for pods and workloads", () => {
    expect(tabsOf(deployment)).toContain("logs");
    expect(tabsOf({ ...deployment, kind: "Pod", group: "" })).toContain("logs");
    expect(tabsOf(service)).not.toContain("logs");
  });
  it.each([
    [deployment, "diff", "diff"],
    [service, "logs", "summary"],
    [service, "nonsense", "summary"],
    [service, null, "summary"],
  ])("shownTab %#", (ref, asked, shown) => {
    expect(shownTab(ref, asked)).toBe(shown);
  });
  it.each([
    ["summary", "ArrowRight", "live"],
    ["summary", "ArrowLeft", "logs"],
    ["logs", "ArrowRight", "summary"],
    ["diff", "Home", "summary"],
    ["diff", "End", "logs"],
    ["diff", "Enter", null],
  ] as const)("%s + %s", (current, key, next) => {
    expect(tabAfterKey(tabsOf(deployment), current, key)).toBe(next);
  });
});
