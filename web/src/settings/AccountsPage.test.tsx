import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { AccountsPage } from "./AccountsPage";

type Call = { method: string; url: string; body: unknown };

function serve(password: () => Response): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
    calls.push({ method: init.method ?? "GET", url, body: init.body ? JSON.parse(String(init.body)) : undefined });
    if (url.endsWith("session/userinfo")) return new Response(JSON.stringify({ loggedIn: true, username: "alice" }));
    if (url.endsWith("account/password")) return password();
    if (url.endsWith("/token")) return new Response(JSON.stringify({ token: "a.b.c" }));
    return new Response(
      JSON.stringify({
        items: [
          { name: "alice", enabled: true, capabilities: ["login"] },
          { name: "robot", enabled: true, capabilities: ["apiKey"], tokens: [{ id: "old", issuedAt: "1700000000" }] },
        ],
      }),
    );
  });
  return calls;
}

afterEach(() => vi.unstubAllGlobals());

async function fill(user: ReturnType<typeof userEvent.setup>, label: string, text: string) {
  await user.click(screen.getByLabelText(label));
  await user.paste(text);
}

it("changes the own password with the current one, and shows the API's refusal", async () => {
  const calls = serve(() => new Response(JSON.stringify({ message: "current password does not match" }), { status: 401 }));
  render(<AccountsPage />);
  const user = userEvent.setup();
  await screen.findByText("Change your password (alice)");
  await fill(user, "Current password", "old-pw");
  await fill(user, "New password", "new-pw-1");
  await fill(user, "Confirm new password", "new-pw-2");
  expect(screen.getByRole("alert").textContent).toBe("The new passwords do not match");
  expect((screen.getByRole("button", { name: "Change password" }) as HTMLButtonElement).disabled).toBe(true);
  await user.clear(screen.getByLabelText("Confirm new password"));
  await fill(user, "Confirm new password", "new-pw-1");
  await user.click(screen.getByRole("button", { name: "Change password" }));
  expect((await screen.findByRole("alert")).textContent).toBe("current password does not match (HTTP 401)");
  expect(calls.find((c) => c.method === "PUT")?.body).toEqual({ name: "alice", currentPassword: "old-pw", newPassword: "new-pw-1" });
});

it("generates a token only for an account with apiKey and shows it once", async () => {
  const calls = serve(() => new Response("{}"));
  render(<AccountsPage />);
  const user = userEvent.setup();
  const robot = (await screen.findByRole("cell", { name: "robot" })).closest("tr") as HTMLElement;
  const alice = screen.getByRole("cell", { name: "alice" }).closest("tr") as HTMLElement;
  expect(within(alice).queryByRole("button", { name: /Generate token/ })).toBeNull();
  await user.click(within(robot).getByRole("button", { name: "Generate token for robot" }));
  expect((await within(robot).findByLabelText("New token")).textContent).toBe("a.b.c");
  expect(calls.find((c) => c.method === "POST")).toEqual({ method: "POST", url: "api/v1/account/robot/token", body: { expiresIn: 0 } });
  await user.click(within(robot).getByRole("button", { name: "I have copied it" }));
  expect(within(robot).queryByLabelText("New token")).toBeNull();
});
