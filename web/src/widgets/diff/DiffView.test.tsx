import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { DiffView } from "./DiffView";

const lines = (n: number) => Array.from({ length: n }, (_, i) => `key${i + 1}: v`).join("\n") + "\n";

describe("DiffView", () => {
  it("marks changes with text, not colour alone, in both modes", () => {
    const left = "replicas: 1\n";
    const right = "replicas: 3\n";
    const { rerender } = render(<DiffView left={left} right={right} label="Diff of web" />);
    const region = screen.getByRole("region", { name: "Diff of web" });
    expect(region.textContent).toContain("removed: replicas: 1");
    expect(region.textContent).toContain("added: replicas: 3");
    expect(screen.getByText("1 line removed, 1 added")).toBeTruthy();
    rerender(<DiffView left={left} right={right} label="Diff of web" mode="inline" />);
    expect(screen.getAllByRole("row").length).toBe(3); // header + 2 lines
  });

  it("compact mode folds unchanged runs and unfolds them on demand", async () => {
    const left = lines(30);
    const right = left.replace("key15: v", "key15: changed");
    render(<DiffView left={left} right={right} label="Diff" compact mode="inline" />);
    expect(screen.queryByText("key1: v")).toBeNull();
    // 14 equal lines before the change and 15 after, 3 of each kept next to it.
    const buttons = screen.getAllByRole("button", { name: /unchanged lines/ });
    expect(buttons.map((b) => b.textContent)).toEqual(["show 11 unchanged lines", "show 12 unchanged lines"]);
    await userEvent.click(buttons[0]);
    expect(screen.getByText("key1: v")).toBeTruthy();
    expect(screen.getAllByRole("button", { name: /unchanged/ })).toHaveLength(1);
  });

  it("says when there is no difference", () => {
    render(<DiffView left={"a: 1\n"} right={"a: 1\n"} label="Diff" />);
    expect(screen.getByText("No differences")).toBeTruthy();
  });
});
