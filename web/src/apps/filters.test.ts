import type { Application } from "../api/types";
import { viewOf } from "./appView";
import {
  countStatuses,
  filterApps,
  filtersFromQuery,
  filtersToQuery,
  NO_FILTERS,
  serverQuery,
  type AppFilters,
} from "./filters";

function app(name: string, extra: { project?: string; sync?: "Synced" | "OutOfSync"; health?: "Healthy" | "Degraded"; labels?: Record<string, string>; server?: string; clusterName?: string; ns?: string; repo?: string; auto?: boolean }): Application {
  return {
    metadata: { name, namespace: "argocd", labels: extra.labels },
    spec: {
      project: extra.project ?? "default",
      source: { repoURL: extra.repo ?? "https://git.example/apps.git", path: name },
      destination: { server: extra.clusterName ? undefined : (extra.server ?? "https://kubernetes.default.svc"), name: extra.clusterName, namespace: extra.ns ?? name },
      syncPolicy: extra.auto ? { automated: {} } : undefined,
    },
    status: { sync: { status: extra.sync ?? "Synced" }, health: { status: extra.health ?? "Healthy" } },
  };
}

const APPS = [
  app("guestbook", { project: "team-a", labels: { team: "a", env: "prod" }, auto: true }),
  app("guestbook-dev", { project: "team-a", sync: "OutOfSync", labels: { team: "a", env: "dev" } }),
  app("billing", { project: "team-b", health: "Degraded", clusterName: "prod-eu", ns: "pay", repo: "https://GIT.example/billing/" }),
  app("web", { sync: "OutOfSync", health: "Degraded", auto: true, server: "https://10.0.0.1:6443" }),
].map(viewOf);

const cases: [string, Partial<AppFilters>, string[], string[]?][] = [
  ["no filter keeps all", {}, ["guestbook", "guestbook-dev", "billing", "web"]],
  ["search is a case-insensitive substring of the name", { search: "GUEST" }, ["guestbook", "guestbook-dev"]],
  ["projects", { projects: ["team-b", "default"] }, ["billing", "web"]],
  ["sync status", { sync: ["OutOfSync"] }, ["guestbook-dev", "web"]],
  ["health status", { health: ["Degraded"] }, ["billing", "web"]],
  ["sync and health together", { sync: ["OutOfSync"], health: ["Degraded"] }, ["web"]],
  ["label equality", { labels: "team=a,env!=prod" }, ["guestbook-dev"]],
  ["label set and existence", { labels: "env in (prod,staging)" }, ["guestbook"]],
  ["label absence", { labels: "!team" }, ["billing", "web"]],
  ["cluster by name", { clusters: ["prod-eu"] }, ["billing"]],
  ["cluster by URL", { clusters: ["https://10.0.0.1:6443"] }, ["web"]],
  ["destination namespace", { namespaces: ["pay", "web"] }, ["billing", "web"]],
  ["repo compared as the server does (case, slash, .git)", { repo: "https://git.example/billing.git" }, ["billing"]],
  ["auto-sync on", { autoSync: "on" }, ["guestbook", "web"]],
  ["auto-sync off", { autoSync: "off" }, ["guestbook-dev", "billing"]],
  ["favourites only", { favourites: true }, ["billing"], ["argocd/billing"]],
  ["search and project narrow together", { search: "book", projects: ["team-b"] }, []],
];

describe("filterApps", () => {
  it.each(cases)("%s", (_name, filters, expected, favourites = []) => {
    const shown = filterApps(APPS, { ...NO_FILTERS, ...filters }, new Set(favourites));
    expect(shown.map((a) => a.name)).toEqual(expected);
  });
});

describe("URL query", () => {
  const roundTrips: [string, Partial<AppFilters>, string][] = [
    ["nothing set: a clean URL", {}, ""],
    ["search", { search: "web" }, "search=web"],
    ["lists repeat their key", { projects: ["a", "b"], sync: ["OutOfSync"] }, "proj=a&proj=b&sync=OutOfSync"],
    ["the rest", { health: ["Degraded"], labels: "team=a", repo: "https://x", autoSync: "off", favourites: true, clusters: ["c"], namespaces: ["n"] },
      "health=Degraded&cluster=c&namespace=n&labels=team%3Da&repo=https%3A%2F%2Fx&autoSync=off&showFavorites=true"],
  ];
  it.each(roundTrips)("%s", (_name, filters, query) => {
    const full = { ...NO_FILTERS, ...filters };
    expect(filtersToQuery(full).toString()).toBe(query);
    expect(filtersFromQuery(new URLSearchParams(query))).toEqual(full);
  });

  it("drops unknown statuses and reads comma lists", () => {
    const read = filtersFromQuery(new URLSearchParams("sync=Bogus,OutOfSync&health=Healthy&autoSync=maybe"));
    expect(read.sync).toEqual(["OutOfSync"]);
    expect(read.health).toEqual(["Healthy"]);
    expect(read.autoSync).toBe("any");
  });
});

describe("serverQuery", () => {
  it.each([
    ["nothing", {}, { projects: undefined, selector: undefined, repo: undefined }],
    ["projects, selector and repo go to the server", { projects: ["a"], labels: " team=a ", repo: "https://x " }, { projects: ["a"], selector: "team=a", repo: "https://x" }],
    ["an invalid selector is not sent", { labels: "a b c" }, { projects: undefined, selector: undefined, repo: undefined }],
    ["client-only filters stay here", { search: "x", sync: ["Synced"] as AppFilters["sync"] }, { projects: undefined, selector: undefined, repo: undefined }],
  ] as [string, Partial<AppFilters>, object][])("%s", (_name, filters, expected) => {
    expect(serverQuery({ ...NO_FILTERS, ...filters })).toEqual(expected);
  });
});

it("counts apps per sync and health status", () => {
  const counts = countStatuses(APPS);
  expect(counts.sync).toEqual({ Synced: 2, OutOfSync: 2, Unknown: 0 });
  expect(counts.health.Healthy).toBe(2);
  expect(counts.health.Degraded).toBe(2);
});
