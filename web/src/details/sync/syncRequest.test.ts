import { sampleApp } from "../tree/fixtures";
import { defaultChoices, outOfSyncKeys, syncProblem, syncRequest } from "./syncRequest";

describe("sync request", () => {
  const app = sampleApp();
  app.spec.source = { repoURL: "https://git.example/apps", path: "web", targetRevision: "main" };
  app.spec.syncPolicy = { syncOptions: ["CreateNamespace=true", "ServerSideApply=true"] };

  it("starts from the app's own options with every resource, and sends no resource list then", () => {
    const choices = defaultChoices(app);
    expect(choices.options).toEqual(["CreateNamespace=true"]);
    expect(choices.serverSideApply).toBe(true);
    const body = syncRequest(app, { ...choices, prune: true });
    expect(body).toEqual({
      revision: "main",
      prune: true,
      dryRun: false,
      strategy: { hook: { force: false } },
      syncOptions: { items: ["CreateNamespace=true", "ServerSideApply=true"] },
      appNamespace: "argocd",
    });
  });

  it("names the chosen resources, uses the apply strategy for apply only, sends retry", () => {
    const choices = defaultChoices(app);
    const body = syncRequest(app, {
      ...choices,
      applyOnly: true,
      force: true,
      replace: true,
      resources: outOfSyncKeys(app),
      retry: { enabled: true, limit: 3, duration: "10s", factor: 2, maxDuration: "5m" },
    });
    expect(body.strategy).toEqual({ apply: { force: true } });
    expect(body.resources).toEqual([{ group: "", kind: "ConfigMap", namespace: "web", name: "settings" }]);
    expect(body.syncOptions?.items).toContain("Replace=true");
    expect(body.retryStrategy).toEqual({ limit: 3, backoff: { duration: "10s", factor: 2, maxDuration: "5m" } });
  });

  it.each([
    [{ resources: [] }, "Choose at least one resource."],
    [{ retry: { enabled: true, limit: -1, duration: "5s", factor: 2, maxDuration: "3m" } }, "Retry limit must be a whole number, 0 or more."],
    [{ retry: { enabled: true, limit: 1, duration: "soon", factor: 2, maxDuration: "3m" } }, 'Backoff duration must look like "5s", "2m" or "1h".'],
  ])("refuses %j", (change, message) => {
    expect(syncProblem(app, { ...defaultChoices(app), ...change })).toBe(message);
  });
});
