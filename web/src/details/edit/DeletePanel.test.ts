import { deleteQuery } from "./DeletePanel";

describe("delete query", () => {
  it.each([
    ["foreground", { cascade: true, propagationPolicy: "foreground", appNamespace: "argocd" }],
    ["background", { cascade: true, propagationPolicy: "background", appNamespace: "argocd" }],
    ["non-cascading", { cascade: false, appNamespace: "argocd" }],
  ] as const)("%s", (cascade, query) => {
    expect(deleteQuery(cascade, "argocd")).toEqual(query);
  });
});
