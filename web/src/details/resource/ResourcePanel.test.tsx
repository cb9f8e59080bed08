import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Application } from "../../api/types";
import { ResourcePanel } from "./ResourcePanel";

const app: Application = {
  metadata: { name: "web", namespace: "argocd" },
  spec: { project: "default", destination: { namespace: "web" } },
  status: {
    resources: [{ group: "apps", kind: "Deployment", namespace: "web", name: "web", status: "Synced", health: { status: "Healthy" } }],
  },
};
const ref = { group: "apps", kind: "Deployment", namespace: "web", name: "web" };
const live = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "web", uid: "u1", annotations: { "argocd.argoproj.io/tracking-id": "web:apps/Deployment:web/web" } },
};

function answer(url: string): unknown {
  if (url.includes("/resource?")) return { manifest: JSON.stringify(live) };
  if (url.includes("managed-resources")) return { items: [] };
  if (url.includes("resource-tree")) return { nodes: [] };
  return {};
}

describe("ResourcePanel", () => {
  beforeEach(() => {
    vi.stubGlobal("fetch", async (url: string) => new Response(JSON.stringify(answer(url)), { status: 200 }));
  });
  afterEach(() => vi.unstubAllGlobals());

  it("is a dialog that takes the focus, moves between tabs with arrows, closes on Escape and gives the focus back", async () => {
    const opener = document.createElement("button");
    document.body.append(opener);
    opener.focus();
    const onTabChange = vi.fn();
    const onClose = vi.fn();
    const { unmount } = render(<ResourcePanel app={app} resource={ref} tab="summary" onTabChange={onTabChange} onClose={onClose} />);
    const dialog = screen.getByRole("dialog", { name: "Deployment web" });
    expect(dialog.getAttribute("aria-modal")).toBe("true");
    expect(document.activeElement).toBe(dialog);
    expect(screen.getAllByRole("tab").map((t) => t.textContent)).toEqual([
      "Summary", "Live manifest", "Desired manifest", "Diff", "Events", "Logs",
    ]);
    await waitFor(() => expect(screen.getByText("web:apps/Deployment:web/web")).toBeTruthy());
    expect(screen.getAllByText("Healthy").length).toBeGreaterThan(0);

    screen.getByRole("tab", { name: "Summary" }).focus();
    await userEvent.keyboard("{ArrowRight}");
    expect(onTabChange).toHaveBeenLastCalledWith("live");
    await userEvent.keyboard("{End}");
    expect(onTabChange).toHaveBeenLastCalledWith("logs");
    // Tab stays inside the modal: Shift+Tab from the dialog goes to its last control.
    dialog.focus();
    await userEvent.tab({ shift: true });
    expect(dialog.contains(document.activeElement)).toBe(true);
    expect(document.activeElement).not.toBe(dialog);
    await userEvent.tab();
    expect(dialog.contains(document.activeElement)).toBe(true);
    await userEvent.keyboard("{Escape}");
    expect(onClose).toHaveBeenCalledTimes(1);
    unmount();
    expect(document.activeElement).toBe(opener);
    opener.remove();
  });
});
