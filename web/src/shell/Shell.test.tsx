import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes, useLocation } from "react-router-dom";
import { Shell } from "./Shell";

function Where() {
  const location = useLocation();
  return <p data-testid="where">{location.pathname + location.search}</p>;
}

function answer(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function renderAt(url: string) {
  return render(
    <MemoryRouter initialEntries={[url]}>
      <Routes>
        <Route path="/login" element={<Where />} />
        <Route element={<Shell />}>
          <Route path="/applications" element={<p>the list</p>} />
        </Route>
      </Routes>
    </MemoryRouter>,
  );
}

describe("Shell", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    localStorage.clear();
  });

  it("sends a visitor who is not logged in to /login, keeping the page asked for", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => answer(200, {})));
    renderAt("/applications?proj=a");
    expect((await screen.findByTestId("where")).textContent).toContain("/login?return_url=%2Fapplications%3Fproj%3Da");
  });

  it("shows the user, and logs out through DELETE api/v1/session", async () => {
    const fetch = vi.fn(async (_url: string, init?: RequestInit) =>
      init?.method === "DELETE" ? answer(200, {}) : answer(200, { loggedIn: true, username: "alice" }),
    );
    vi.stubGlobal("fetch", fetch);
    renderAt("/applications");
    await screen.findByText("the list");
    // The page renders while the session is checked; the user shows once userinfo answers.
    expect((await screen.findByText("alice")).textContent).toBe("Signed in as alice");
    await userEvent.click(screen.getByRole("button", { name: "Log out" }));
    expect((await screen.findByTestId("where")).textContent).toBe("/login");
    expect(fetch).toHaveBeenCalledWith("api/v1/session", expect.objectContaining({ method: "DELETE" }));
  });

  it("logs an SSO user out through auth/logout, so the provider's session ends too", async () => {
    const fetch = vi.fn(async () => answer(200, { loggedIn: true, username: "dana@kapstan.test", iss: "https://idp.test/realms/k" }));
    vi.stubGlobal("fetch", fetch);
    const assign = vi.fn();
    vi.stubGlobal("location", { ...window.location, assign });
    renderAt("/applications");
    await screen.findByText("dana@kapstan.test");
    await userEvent.click(screen.getByRole("button", { name: "Log out" }));
    expect(assign).toHaveBeenCalledWith(expect.stringMatching(/\/auth\/logout\?return_url=http.*%2Flogin$/));
    expect(fetch).not.toHaveBeenCalledWith("api/v1/session", expect.objectContaining({ method: "DELETE" }));
  });

  it("switches the theme on <html> and remembers it", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => answer(200, { loggedIn: true, username: "alice" })));
    renderAt("/applications");
    const toggle = await screen.findByRole("button", { name: "Dark theme" });
    const before = document.documentElement.dataset.theme;
    await userEvent.click(toggle);
    const after = document.documentElement.dataset.theme;
    expect(after).not.toBe(before);
    expect(localStorage.getItem("kapstan.theme")).toBe(after);
    expect(toggle.getAttribute("aria-pressed")).toBe(String(after === "dark"));
  });
});
