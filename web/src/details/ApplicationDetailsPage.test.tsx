import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes, useLocation } from "react-router-dom";
import { vi } from "vitest";
import { ApplicationDetailsPage } from "./ApplicationDetailsPage";
import { sampleApp, sampleTree } from "./tree/fixtures";

vi.mock("../api/stream", () => ({ subscribe: () => () => {} }));

function answer(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function serve(allowed: boolean | "broken", sync?: (body: unknown) => Response) {
  const fetchMock = vi.fn(async (url: string, init?: RequestInit) => {
    if (url.includes("account/can-i/") && allowed === "broken") return answer({ message: "enforcer unavailable" }, 503);
    if (url.includes("account/can-i/")) return answer({ value: allowed ? "yes" : "no" });
    if (url.includes("/resource-tree")) return answer(sampleTree(1));
    if (url.includes("/sync") && init?.method === "POST") return sync!(JSON.parse(String(init.body)));
    if (url.includes("/syncwindows")) return answer({ assignedWindows: [], canSync: true });
    if (url.includes("/metadata")) return answer({ author: "Ann <ann@example.com>", message: "version 1" });
    if (url.startsWith("api/v1/applications/web")) {
      const app = sampleApp();
      app.status!.sync = { status: "OutOfSync", revision: "0123456789abcdef0123456789abcdef01234567" };
      return answer(app);
    }
    return answer({ message: "unexpected" }, 404);
  });
  vi.stubGlobal("fetch", fetchMock);
  return fetchMock;
}

function Location() {
  const location = useLocation();
  return <output aria-label="location">{location.search}</output>;
}

function open(search: string) {
  render(
    <MemoryRouter initialEntries={[`/applications/argocd/web${search}`]}>
      <Routes>
        <Route path="/applications/:namespace/:name" element={<><ApplicationDetailsPage /><Location /></>} />
      </Routes>
    </MemoryRouter>,
  );
}

afterEach(() => vi.unstubAllGlobals());

describe("application details page", () => {
  it("shows a read-only user no Sync or Delete, and a clear message on ?operation=sync", async () => {
    serve(false);
    open("?operation=sync");
    expect(await screen.findByText(/not allowed to sync this application/)).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Sync" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Delete" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Synchronize" })).toBeNull();
  });

  it("says so when the permissions cannot be checked, rather than hiding actions silently", async () => {
    serve("broken");
    open("");
    expect(await screen.findByText(/Could not check your permissions, so actions are hidden: enforcer unavailable \(HTTP 503\)/)).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Sync" })).toBeNull();
  });

  it("opens a resource from the tree into the URL, and closes it", async () => {
    serve(true);
    open("");
    await userEvent.click(await screen.findByRole("button", { name: /^Deployment web, health Healthy, sync Synced/ }));
    expect(screen.getByLabelText("location").textContent).toBe("?resource=apps%2FDeployment%2Fweb%2Fweb");
    await userEvent.click(await screen.findByRole("button", { name: "Close Deployment web" }));
    expect(screen.getByLabelText("location").textContent).toBe("");
  });

  it("sends the sync request and shows the API's refusal in the panel", async () => {
    const sent: unknown[] = [];
    serve(true, (body) => {
      sent.push(body);
      return answer({ error: "permission denied", code: 7, message: "permission denied" }, 403);
    });
    open("");
    await userEvent.click(await screen.findByRole("button", { name: "Sync" }));
    await userEvent.click(screen.getByLabelText("Prune"));
    await userEvent.click(screen.getByRole("button", { name: "Synchronize" }));
    expect(await screen.findByText("permission denied (HTTP 403)")).toBeTruthy();
    expect(sent).toEqual([expect.objectContaining({ prune: true, strategy: { hook: { force: false } } })]);
    expect(screen.getByText("0123456").title).toBe("0123456789abcdef0123456789abcdef01234567");
    expect(screen.getByText(/version 1/)).toBeTruthy();
  });
});
