import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import { ProjectPage } from "./ProjectPage";
import type { AppProject } from "../types";

const saved: AppProject = {
  metadata: { name: "team", resourceVersion: "7" },
  spec: {
    description: "the team",
    sourceRepos: ["*"],
    destinations: [
      { server: "https://kubernetes.default.svc", namespace: "old" },
      { server: "https://kubernetes.default.svc", namespace: "kept" },
    ],
  },
};

type Call = { method: string; url: string; body: unknown };

function serve(answerPut: (body: unknown) => Response): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
    const body = init.body ? JSON.parse(String(init.body)) : undefined;
    calls.push({ method: init.method ?? "GET", url, body });
    if (init.method === "PUT") return answerPut(body);
    return new Response(JSON.stringify(saved), { status: 200 });
  });
  return calls;
}

function show() {
  render(
    <MemoryRouter initialEntries={["/settings/projects/team"]}>
      <Routes>
        <Route path="/settings/projects/:name" element={<ProjectPage />} />
      </Routes>
    </MemoryRouter>,
  );
}

afterEach(() => vi.unstubAllGlobals());

/** Paste rather than type: typing key by key is slow on a loaded machine and tests nothing more. */
async function fill(user: ReturnType<typeof userEvent.setup>, input: HTMLElement, text: string) {
  await user.click(input);
  await user.paste(text);
}

it("adds and removes destinations and saves the whole project with its resourceVersion", async () => {
  const calls = serve((body) => new Response(JSON.stringify((body as { project: AppProject }).project), { status: 200 }));
  show();
  const user = userEvent.setup();
  await user.click(await screen.findByRole("button", { name: "Remove destination https://kubernetes.default.svc / old" }));
  await fill(user, screen.getByLabelText("Destination server"), "https://kubernetes.default.svc");
  await fill(user, screen.getByLabelText("Destination namespace"), "new-ns");
  await user.click(screen.getByRole("button", { name: "Add destination" }));
  expect(screen.getByText("Unsaved changes")).toBeTruthy();
  await user.click(screen.getByRole("button", { name: "Save project" }));
  await waitFor(() => expect(screen.getByText("Saved")).toBeTruthy());
  const put = calls.find((call) => call.method === "PUT");
  expect(put?.url).toBe("api/v1/projects/team");
  expect(put?.body).toEqual({
    project: {
      metadata: { name: "team", resourceVersion: "7" },
      spec: {
        description: "the team",
        sourceRepos: ["*"],
        destinations: [
          { server: "https://kubernetes.default.svc", namespace: "kept" },
          { server: "https://kubernetes.default.svc", namespace: "new-ns" },
        ],
      },
    },
  });
});

it("shows the API's refusal next to Save and keeps the edits", async () => {
  serve(() => new Response(JSON.stringify({ code: 7, message: "permission denied: clusters, update, x" }), { status: 403 }));
  show();
  const user = userEvent.setup();
  await fill(user, await screen.findByLabelText("Destination cluster name"), "x");
  await fill(user, screen.getByLabelText("Destination namespace"), "*");
  await user.click(screen.getByRole("button", { name: "Add destination" }));
  await user.click(screen.getByRole("button", { name: "Save project" }));
  const alert = await screen.findByRole("alert");
  expect(alert.textContent).toBe("permission denied: clusters, update, x (HTTP 403)");
  expect(screen.getByText("Unsaved changes")).toBeTruthy();
});

it("refuses a destination without a namespace, saying why", async () => {
  serve(() => new Response("{}"));
  show();
  const user = userEvent.setup();
  await fill(user, await screen.findByLabelText("Destination server"), "https://x");
  await user.click(screen.getByRole("button", { name: "Add destination" }));
  expect((await screen.findByRole("alert")).textContent).toBe("A destination needs a namespace (* for any)");
});
