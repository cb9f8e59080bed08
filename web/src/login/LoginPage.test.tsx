import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes, useLocation } from "react-router-dom";
import { LoginPage } from "./LoginPage";

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
        <Route path="/login" element={<LoginPage />} />
        <Route path="*" element={<Where />} />
      </Routes>
    </MemoryRouter>,
  );
}

describe("LoginPage", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("shows the API's message on bad credentials and keeps the user on the form", async () => {
    const fetch = vi.fn(async (url: string) =>
      url.endsWith("settings") ? answer(200, {}) : answer(401, { error: "x", code: 16, message: "Invalid username or password" }),
    );
    vi.stubGlobal("fetch", fetch);
    renderAt("/login");
    await userEvent.type(screen.getByLabelText("Username"), "admin");
    await userEvent.type(screen.getByLabelText("Password"), "wrong");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect((await screen.findByRole("alert")).textContent).toContain("Invalid username or password");
    expect((screen.getByLabelText("Password") as HTMLInputElement).value).toBe("");
    const [, init] = fetch.mock.calls.find(([url]) => url === "api/v1/session") as unknown as [string, RequestInit];
    expect(JSON.parse(String(init.body))).toEqual({ username: "admin", password: "wrong" });
  });

  it("goes to return_url after signing in, never off-site", async () => {
    vi.stubGlobal("fetch", vi.fn(async (url: string) => (url.endsWith("settings") ? answer(200, {}) : answer(200, { token: "t" }))));
    renderAt("/login?return_url=%2Fapplications%2Fargocd%2Fweb%3Ftab%3Ddiff");
    await userEvent.type(screen.getByLabelText("Username"), "admin");
    await userEvent.type(screen.getByLabelText("Password"), "pw");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect((await screen.findByTestId("where")).textContent).toContain("/applications/argocd/web?tab=diff");
  });

  it("refuses an empty form without calling the API", async () => {
    const fetch = vi.fn(async (_url: string) => answer(200, {}));
    vi.stubGlobal("fetch", fetch);
    renderAt("/login");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect((await screen.findByRole("alert")).textContent).toContain("Enter your username and password");
    expect(fetch.mock.calls.map(([url]) => url)).toEqual(["api/v1/settings"]);
  });

  it("offers SSO when the settings report it", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => answer(200, { oidcConfig: { name: "Okta" } })));
    renderAt("/login");
    const link = await screen.findByRole("link", { name: "Log in via Okta" });
    expect(link.getAttribute("href")).toMatch(/^auth\/login\?return_url=http/);
  });
});
