import { loginPath, safeReturn } from "./returnUrl";

describe("return_url", () => {
  it.each([
    [null, "/applications"],
    ["/applications/argocd/web?tab=diff", "/applications/argocd/web?tab=diff"],
    ["//evil.example/x", "/applications"],
    ["/\\evil.example", "/applications"],
    ["https://evil.example", "/applications"],
    ["/login?return_url=/x", "/applications"],
  ])("%j -> %j", (raw, expected) => {
    expect(safeReturn(raw)).toBe(expected);
  });

  it("keeps the page asked for, not the root or login itself", () => {
    expect(loginPath("/settings/repos?x=1")).toBe("/login?return_url=%2Fsettings%2Frepos%3Fx%3D1");
    expect(loginPath("/")).toBe("/login");
    expect(loginPath("/login")).toBe("/login");
  });
});
