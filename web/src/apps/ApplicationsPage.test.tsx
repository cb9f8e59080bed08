/**
 * The page over a fake API and stream: the initial list, a watch event patching it live, the
 * search kept in the URL, a per-app bulk error with the API's message.
 */
import { act, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, useLocation } from "react-router-dom";
import { ApiError } from "../api/client";
import type { StreamState } from "../api/stream";
import type { Application, ApplicationWatchEvent } from "../api/types";
import { ApplicationsPage } from "./ApplicationsPage";

const stream: {
  onEvent?: (e: ApplicationWatchEvent) => void;
  onState?: (s: StreamState) => void;
  onError?: (e: ApiError) => void;
  query?: unknown;
} = {};
vi.mock("../api/stream", () => ({
  subscribe: (
    topic: { query?: unknown },
    onEvent: (e: ApplicationWatchEvent) => void,
    onState: (s: StreamState) => void,
    onError: (e: ApiError) => void,
  ) => {
    stream.onEvent = onEvent;
    stream.onState = onState;
    stream.onError = onError;
    stream.query = topic.query;
    onState("connecting");
    return () => {};
  },
}));

function app(name: string, rv: string, sync: "Synced" | "OutOfSync" = "Synced"): Application {
  return {
    metadata: { name, namespace: "argocd", resourceVersion: rv },
    spec: { project: "default", source: { repoURL: "https://git.example/a.git", path: name }, destination: { server: "https://kubernetes.default.svc", namespace: name } },
    status: { sync: { status: sync }, health: { status: "Healthy" } },
  };
}

function answer(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function Where() {
  const location = useLocation();
  return <p data-testid="where">{location.search}</p>;
}

const tile = (key: string) => document.querySelector(`[data-app="${key}"]`) as HTMLElement | null;

// jsdom lays nothing out: give elements a desktop size so the virtualised list shows rows.
beforeAll(() => {
  for (const [prop, value] of [["offsetHeight", 800], ["offsetWidth", 1280], ["clientWidth", 1280], ["clientHeight", 800]] as const)
    Object.defineProperty(HTMLElement.prototype, prop, { configurable: true, get: () => value });
});

describe("ApplicationsPage", () => {
  let fetch: ReturnType<typeof vi.fn>;
  beforeEach(() => {
    fetch = vi.fn(async (url: string, init?: RequestInit) => {
      if (url.startsWith("api/v1/applications?")) return answer(200, { items: [app("guestbook", "10"), app("web", "11", "OutOfSync")], metadata: {} });
      if (url.startsWith("api/v1/projects")) return answer(200, { items: [{ metadata: { name: "default" } }] });
      if (url.endsWith("/sync") && init?.method === "POST") return answer(400, { code: 9, message: "another operation is already in progress" });
      return answer(404, { message: "not found" });
    });
    vi.stubGlobal("fetch", fetch);
    localStorage.clear();
  });
  afterEach(() => vi.unstubAllGlobals());

  async function open(url = "/applications", shown = "guestbook") {
    render(
      <MemoryRouter initialEntries={[url]}>
        <ApplicationsPage />
        <Where />
      </MemoryRouter>,
    );
    act(() => stream.onState?.("live")); // the list is read once the stream is open
    await screen.findByRole("link", { name: shown });
  }

  it("lists the apps, then patches them from the stream", async () => {
    await open();
    expect(within(tile("argocd/web")!).getByTitle("Sync: OutOfSync")).toBeTruthy();
    expect(screen.getByTestId("apps-count").textContent).toBe("2 of 2 apps");
    act(() => stream.onEvent?.({ type: "MODIFIED", application: app("web", "12", "Synced") }));
    await vi.waitFor(() => expect(within(tile("argocd/web")!).queryByTitle("Sync: Synced")).toBeTruthy());
    act(() => stream.onEvent?.({ type: "DELETED", application: app("guestbook", "13") }));
    await vi.waitFor(() => expect(tile("argocd/guestbook")).toBeNull());
  });

  it("says so while the stream reconnects, and reads the list again after", async () => {
    await open();
    const lists = () => fetch.mock.calls.filter(([url]) => String(url).startsWith("api/v1/applications?")).length;
    expect(lists()).toBe(1);
    act(() => stream.onState?.("reconnecting"));
    expect(screen.getByText("reconnecting…")).toBeTruthy();
    act(() => stream.onState?.("live"));
    expect(screen.queryByText("reconnecting…")).toBeNull();
    await vi.waitFor(() => expect(lists()).toBe(2));
  });

  it("shows the API's refusal of the stream", async () => {
    await open();
    act(() => stream.onError?.(new ApiError(403, "permission denied: applications, get")));
    expect(screen.getByRole("alert").textContent).toBe("permission denied: applications, get (HTTP 403)");
  });

  it("narrows by search and keeps it in the URL", async () => {
    await open();
    await userEvent.type(screen.getByRole("searchbox", { name: "Search applications by name" }), "gue");
    await vi.waitFor(() => expect(tile("argocd/web")).toBeNull());
    expect(tile("argocd/guestbook")).not.toBeNull();
    expect(screen.getByTestId("where").textContent).toBe("?search=gue");
  });

  it("reads filters from the URL and sends projects to the server", async () => {
    await open("/applications?sync=OutOfSync&proj=default", "web");
    expect(tile("argocd/guestbook")).toBeNull();
    const listUrl = String(fetch.mock.calls.find(([url]) => String(url).startsWith("api/v1/applications?"))![0]);
    expect(new URL(listUrl, "http://x/").searchParams.getAll("projects")).toEqual(["default"]);
    expect(stream.query).toMatchObject({ projects: ["default"] });
  });

  it("keeps favourites in the browser and filters by them", async () => {
    await open();
    const star = screen.getByRole("button", { name: "Favourite web" });
    await userEvent.click(star);
    expect(star.getAttribute("aria-pressed")).toBe("true");
    expect(JSON.parse(localStorage.getItem("kapstan.apps.favourites") ?? "[]")).toEqual(["argocd/web"]);
    await userEvent.click(screen.getByRole("checkbox", { name: "Favourites only" }));
    await vi.waitFor(() => expect(tile("argocd/guestbook")).toBeNull());
    expect(tile("argocd/web")).not.toBeNull();
    expect(screen.getByTestId("where").textContent).toBe("?showFavorites=true");
  });

  it("switches to the table and remembers the choice", async () => {
    await open();
    await userEvent.click(screen.getByRole("button", { name: "Table" }));
    expect(screen.getByRole("table", { name: "Applications" })).toBeTruthy();
    expect(localStorage.getItem("kapstan.apps.view")).toBe("table");
  });

  it("shows each app's error from a bulk sync", async () => {
    await open();
    await userEvent.click(screen.getByRole("checkbox", { name: "Select web" }));
    const bulk = screen.getByRole("region", { name: "Bulk actions" });
    await userEvent.click(within(bulk).getByRole("button", { name: "Sync" }));
    const alert = await within(bulk).findByRole("alert");
    expect(alert.textContent).toContain("web: another operation is already in progress (HTTP 400)");
  });
});
