import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { NewAppPanel } from "./NewAppPanel";

function answer(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function open() {
  const onCreated = vi.fn();
  render(<NewAppPanel projects={["default"]} onClose={() => {}} onCreated={onCreated} />);
  const panel = screen.getByRole("dialog", { hidden: true });
  return { panel: within(panel), onCreated };
}

describe("NewAppPanel", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("checks the form before sending anything", async () => {
    const fetch = vi.fn();
    vi.stubGlobal("fetch", fetch);
    const { panel } = open();
    await userEvent.click(panel.getByRole("button", { name: "Create", hidden: true }));
    expect(panel.getByText("Application name is required")).toBeTruthy();
    expect(panel.getByText("Repository URL is required")).toBeTruthy();
    expect(fetch).not.toHaveBeenCalled();
  });

  it("posts the app without upsert and shows the API's refusal in the panel", async () => {
    const fetch = vi.fn(async (_url: string, _init?: RequestInit) =>
      answer(400, { code: 3, message: "existing application spec is different, use upsert flag to force update" }),
    );
    vi.stubGlobal("fetch", fetch);
    const { panel, onCreated } = open();
    await userEvent.type(panel.getByLabelText("Application name"), "web");
    await userEvent.type(panel.getByLabelText("Repository URL"), "https://git.example/apps.git");
    await userEvent.click(panel.getByRole("button", { name: "Create", hidden: true }));
    expect((await panel.findByRole("alert", { hidden: true })).textContent).toContain("use upsert flag to force update (HTTP 400)");
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe("api/v1/applications?upsert=false");
    expect(JSON.parse(String(init?.body)).metadata).toEqual({ name: "web" });
    expect(onCreated).not.toHaveBeenCalled();
  });

  it("carries the form into YAML and creates from YAML", async () => {
    const fetch = vi.fn(async (_url: string, init?: RequestInit) => answer(200, JSON.parse(String(init?.body))));
    vi.stubGlobal("fetch", fetch);
    const { panel, onCreated } = open();
    await userEvent.type(panel.getByLabelText("Application name"), "web");
    await userEvent.click(panel.getByRole("tab", { name: "YAML", hidden: true }));
    const yaml = panel.getByLabelText("Application YAML") as HTMLTextAreaElement;
    expect(yaml.value).toContain("name: web");
    await userEvent.clear(yaml);
    await userEvent.type(yaml, "metadata: {{name: from-yaml}\nspec: {{project: default, destination: {{server: https://x}}");
    await userEvent.click(panel.getByRole("button", { name: "Create", hidden: true }));
    await vi.waitFor(() => expect(onCreated).toHaveBeenCalled());
    expect(JSON.parse(String(fetch.mock.calls[0][1]?.body)).metadata.name).toBe("from-yaml");
  });

  it("keeps YAML that does not parse and says why", async () => {
    vi.stubGlobal("fetch", vi.fn());
    const { panel } = open();
    await userEvent.click(panel.getByRole("tab", { name: "YAML", hidden: true }));
    const yaml = panel.getByLabelText("Application YAML");
    await userEvent.clear(yaml);
    await userEvent.type(yaml, "metadata: [[");
    await userEvent.click(panel.getByRole("tab", { name: "Form", hidden: true }));
    expect((await panel.findByRole("alert", { hidden: true })).textContent).toContain("YAML:");
    expect(panel.getByLabelText("Application YAML")).toBeTruthy();
  });
});
