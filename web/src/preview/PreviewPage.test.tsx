import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import { PreviewPage } from "./PreviewPage";

const app = {
  metadata: { name: "web", namespace: "argocd" },
  spec: { project: "default", source: { repoURL: "https://git.example/apps.git", path: "web", targetRevision: "main" }, destination: { namespace: "web" } },
  status: { sync: { status: "Synced", revision: "0123456789abcdef" } },
};
const cm = (version: string) => JSON.stringify({ kind: "ConfigMap", metadata: { name: "settings" }, data: { version } });
const diff = {
  revision: "feedfacefeedface",
  modified: true,
  items: [
    { kind: "ConfigMap", namespace: "web", name: "settings", normalizedLiveState: cm("1"), predictedLiveState: cm("2"), modified: true },
    { kind: "Service", namespace: "web", name: "new", normalizedLiveState: "null", predictedLiveState: cm("x"), liveState: "null", modified: true },
  ],
};

function serve(diffAnswer: () => Response): string[] {
  const urls: string[] = [];
  vi.stubGlobal("fetch", async (url: string) => {
    urls.push(url);
    if (url.includes("/refs")) return new Response(JSON.stringify({ branches: ["feature/x", "main"], tags: ["v1"] }));
    if (url.includes("server-side-diff")) return diffAnswer();
    return new Response(JSON.stringify(app));
  });
  return urls;
}

function show(entry = "/preview/argocd/web") {
  render(
    <MemoryRouter initialEntries={[entry]}>
      <Routes>
        <Route path="/preview/:namespace/:name" element={<PreviewPage />} />
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

it("previews a branch: summary per resource and a diff, asked with the revision parameter", async () => {
  const urls = serve(() => new Response(JSON.stringify(diff)));
  show();
  const user = userEvent.setup();
  await fill(user, await screen.findByLabelText("Branch, tag or commit"), "feature/x");
  await user.click(screen.getByRole("button", { name: "Preview" }));
  const summary = await screen.findByRole("list", { name: "Changed resources" });
  expect(summary.textContent).toContain("ConfigMap web/settings: changed, 1 field: data.version");
  expect(summary.textContent).toContain("Service web/new: added");
  expect(screen.getByRole("region", { name: "Diff of ConfigMap settings" })).toBeTruthy();
  expect(urls).toContain("api/v1/applications/web/server-side-diff?appNamespace=argocd&revision=feature%2Fx");
  expect(urls).toContain(`api/v1/repositories/${encodeURIComponent("https://git.example/apps.git")}/refs`);
  const options = Array.from(document.querySelectorAll("datalist option")).map((o) => (o as HTMLOptionElement).value);
  expect(options).toEqual(["feature/x", "main", "v1"]);
});

it("shows the API's error for a revision that cannot be rendered", async () => {
  serve(() => new Response(JSON.stringify({ code: 2, message: "error generating manifests: unknown revision nope" }), { status: 500 }));
  show("/preview/argocd/web?revision=nope");
  expect((await screen.findByRole("alert")).textContent).toBe("error generating manifests: unknown revision nope (HTTP 500)");
});

it("says so when the revision changes nothing", async () => {
  serve(() => new Response(JSON.stringify({ items: [], modified: false, revision: "abc" })));
  show("/preview/argocd/web?revision=main");
  expect((await screen.findByText(/No changes/)).textContent).toContain("leave the cluster as it is");
});

it("previews one source of a multi-source app at the revision (sourcePositions/revisions)", async () => {
  const urls: string[] = [];
  const multi = {
    ...app,
    spec: {
      ...app.spec,
      source: undefined,
      sources: [
        { repoURL: "https://charts.example", chart: "redis", targetRevision: "1.0.0" },
        { repoURL: "https://git.example/values.git", path: "env", targetRevision: "main" },
      ],
    },
  };
  vi.stubGlobal("fetch", async (url: string) => {
    urls.push(url);
    if (url.includes("/refs")) return new Response(JSON.stringify({ branches: ["main"] }));
    if (url.includes("server-side-diff")) return new Response(JSON.stringify({ items: [] }));
    return new Response(JSON.stringify(multi));
  });
  show("/preview/argocd/web?source=2&revision=pr-7");
  await screen.findByText(/No changes/);
  expect(urls).toContain("api/v1/applications/web/server-side-diff?appNamespace=argocd&sourcePositions=2&revisions=pr-7");
  expect(urls).toContain(`api/v1/repositories/${encodeURIComponent("https://git.example/values.git")}/refs`);
  expect((screen.getByLabelText("Source") as HTMLSelectElement).value).toBe("2");
});
