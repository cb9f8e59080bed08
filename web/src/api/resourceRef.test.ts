import { parseRefKey, refKey } from "./resourceRef";

describe("resource deep links", () => {
  it.each([
    ["apps/Deployment/web/api", { group: "apps", kind: "Deployment", namespace: "web", name: "api" }],
    ["/Service/web/api", { group: "", kind: "Service", namespace: "web", name: "api" }],
    ["/Namespace//web", { group: "", kind: "Namespace", namespace: "", name: "web" }],
    ["apps/Deployment/web/api/0", { group: "apps", kind: "Deployment", namespace: "web", name: "api" }],
  ])("%s", (key, ref) => {
    expect(parseRefKey(key)).toEqual(ref);
  });
  it.each([[""], ["nonsense"], ["a/b/c/d/e/f"], ["apps//web/api"]])("rejects %j", (key) => {
    expect(parseRefKey(key)).toBeNull();
  });
  it("round-trips", () => {
    const ref = { group: "", kind: "ConfigMap", namespace: "x", name: "y" };
    expect(parseRefKey(refKey(ref))).toEqual(ref);
  });
});
