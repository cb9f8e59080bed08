import type { Application, ApplicationWatchEvent } from "../api/types";
import { applyEvents, fromList } from "./appStore";

function app(name: string, rv: string, sync: "Synced" | "OutOfSync" = "Synced"): Application {
  return {
    metadata: { name, namespace: "argocd", resourceVersion: rv },
    spec: { project: "default", destination: {} },
    status: { sync: { status: sync } },
  };
}
const event = (type: ApplicationWatchEvent["type"], application: Application): ApplicationWatchEvent => ({ type, application });

describe("applyEvents", () => {
  const base = fromList([app("a", "10"), app("b", "20")]);
  it.each([
    ["a newer change replaces the app", [event("MODIFIED", app("a", "11", "OutOfSync"))], { "argocd/a": "OutOfSync", "argocd/b": "Synced" }],
    ["an older (replayed) change is ignored", [event("MODIFIED", app("a", "9", "OutOfSync"))], { "argocd/a": "Synced", "argocd/b": "Synced" }],
    ["an added app appears", [event("ADDED", app("c", "30"))], { "argocd/a": "Synced", "argocd/b": "Synced", "argocd/c": "Synced" }],
    ["a deleted app goes", [event("DELETED", app("b", "21"))], { "argocd/a": "Synced" }],
    ["events apply in order", [event("MODIFIED", app("a", "11", "OutOfSync")), event("MODIFIED", app("a", "12"))], { "argocd/a": "Synced", "argocd/b": "Synced" }],
  ] as [string, ApplicationWatchEvent[], Record<string, string>][])("%s", (_name, events, expected) => {
    const next = applyEvents(base, events);
    expect(Object.fromEntries([...next].map(([k, v]) => [k, v.status?.sync?.status]))).toEqual(expected);
  });

  it("keeps the same map when nothing changed (no re-render)", () => {
    expect(applyEvents(base, [event("MODIFIED", app("a", "5"))])).toBe(base);
  });
  it("treats a null list as empty", () => {
    expect(fromList(null).size).toBe(0);
  });
});
