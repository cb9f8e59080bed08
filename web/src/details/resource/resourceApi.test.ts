import type { Application } from "../../api/types";
import { resourceApi } from "./resourceApi";

const app: Application = { metadata: { name: "web", namespace: "argocd" }, spec: { project: "default", destination: {} } };
const ref = { group: "apps", kind: "Deployment", namespace: "shop", name: "web" };

describe("resourceApi", () => {
  let calls: { url: string; method: string; body?: string }[];
  beforeEach(() => {
    calls = [];
    vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
      calls.push({ url, method: init.method ?? "GET", body: init.body as string | undefined });
      return new Response(JSON.stringify({ manifest: "{}", value: "no", items: [] }), { status: 200 });
    });
  });
  afterEach(() => vi.unstubAllGlobals());

  const base = "namespace=shop&resourceName=web&version=&group=apps&kind=Deployment&appNamespace=argocd";

  it.each([
    ["foreground", `api/v1/applications/web/resource?${base}`],
    ["background", `api/v1/applications/web/resource?${base}&force=true`],
    ["orphan", `api/v1/applications/web/resource?${base}&orphan=true`],
  ] as const)("delete %s", async (policy, url) => {
    await resourceApi.remove(app, ref, policy);
    expect(calls).toEqual([{ url, method: "DELETE", body: undefined }]);
  });

  it("sends the edit as a merge patch (the patch document as a JSON string)", async () => {
    await resourceApi.patch(app, ref, { metadata: { labels: { team: "x" } } });
    expect(calls[0].method).toBe("POST");
    expect(calls[0].url).toBe(`api/v1/applications/web/resource?${base}&patchType=application%2Fmerge-patch%2Bjson`);
    expect(JSON.parse(JSON.parse(calls[0].body!))).toEqual({ metadata: { labels: { team: "x" } } });
  });

  it("runs an action through v2 with the resource in the body", async () => {
    await resourceApi.runAction(app, ref, "restart");
    expect(calls[0].url).toBe("api/v1/applications/web/resource/actions/v2");
    expect(JSON.parse(calls[0].body!)).toMatchObject({ name: "web", kind: "Deployment", group: "apps", resourceName: "web", namespace: "shop", action: "restart" });
  });

  it("asks can-i with the object's slashes kept", async () => {
    expect(await resourceApi.canI("applications", "update", "default/web")).toBe(false);
    expect(calls[0].url).toBe("api/v1/account/can-i/applications/update/default/web");
  });
});
