import { render, screen, within } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";
import { UserInfoPage } from "./UserInfoPage";

afterEach(() => vi.unstubAllGlobals());

it("shows who the user is and a can-i answer per resource and action", async () => {
  const asked: string[] = [];
  vi.stubGlobal("fetch", async (url: string) => {
    if (url.endsWith("session/userinfo")) return new Response(JSON.stringify({ loggedIn: true, username: "alice", iss: "argocd", groups: ["devs"] }));
    asked.push(url);
    if (url.includes("/clusters/delete/")) return new Response(JSON.stringify({ message: "boom" }), { status: 503 });
    return new Response(JSON.stringify({ value: url.includes("/get/") ? "yes" : "no" }));
  });
  render(
    <MemoryRouter>
      <UserInfoPage />
    </MemoryRouter>,
  );
  expect(await screen.findByText("alice")).toBeTruthy();
  expect(within(screen.getByRole("list", { name: "Groups" })).getByText("devs")).toBeTruthy();
  const table = screen.getByRole("table", { name: "Permissions" });
  const apps = within(table).getByRole("rowheader", { name: "applications" }).closest("tr") as HTMLElement;
  await within(apps).findByText("✔ yes");
  expect(within(apps).getAllByText("✖ no")).toHaveLength(3);
  expect(await within(table).findByText("boom (HTTP 503)")).toBeTruthy();
  expect(asked).toContain("api/v1/account/can-i/applications/sync/*/*");
  expect(asked).toHaveLength(18);
});
