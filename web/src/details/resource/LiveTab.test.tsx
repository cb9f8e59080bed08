import { render, screen, waitFor } from "@testing-library/react";
import type { Application } from "../../api/types";
import { LiveTab } from "./LiveTab";
import type { ResourceData } from "./useResource";

const app: Application = { metadata: { name: "web", namespace: "argocd" }, spec: { project: "default", destination: {} } };
const loaded = <T,>(value: T) => ({ value, error: null, loading: false });

function data(kind: string): ResourceData {
  return {
    live: loaded({ apiVersion: "v1", kind, metadata: { name: "web", managedFields: [{ manager: "kubectl" }] } }),
    managed: loaded(null),
    node: loaded(null),
    reload: () => {},
  };
}

// jsdom has no layout: CodeMirror measures text ranges, which jsdom's Range cannot.
beforeAll(() => {
  const empty = { length: 0, item: () => null, [Symbol.iterator]: [][Symbol.iterator] } as unknown as DOMRectList;
  Range.prototype.getClientRects = () => empty;
  Range.prototype.getBoundingClientRect = () => new DOMRect();
});

describe("LiveTab", () => {
  afterEach(() => vi.unstubAllGlobals());

  it.each([
    ["yes", "ConfigMap", false, null],
    ["no", "ConfigMap", true, /You may not update web \(applications, update, default\/web\)/],
    ["yes", "Secret", true, /Secrets are not edited in the browser/],
  ])("can-i %s on a %s: Edit disabled %s", async (answer, kind, disabled, reason) => {
    vi.stubGlobal("fetch", async () => new Response(JSON.stringify({ value: answer }), { status: 200 }));
    render(<LiveTab app={app} resource={{ group: "", kind, namespace: "x", name: "web" }} data={data(kind)} />);
    const edit = screen.getByRole("button", { name: "Edit" }) as HTMLButtonElement;
    if (reason) await waitFor(() => expect(screen.getByText(reason)).toBeTruthy());
    else await new Promise((resolve) => setTimeout(resolve, 20));
    expect(edit.disabled).toBe(disabled);
    // managedFields stay out of the shown manifest unless asked for
    expect(screen.getByRole("textbox", { name: `Live manifest of ${kind} web` }).textContent).not.toContain("managedFields");
  });
});
