import { EMPTY_FORM, fromApplication, parseApplication, toApplication, toYaml, validate } from "./newApp";

const filled = { ...EMPTY_FORM, name: "web", repoURL: "https://git.example/apps.git", path: "web", namespace: "web" };

describe("new app form", () => {
  it.each([
    ["a complete form is valid", {}, {}],
    ["name required", { name: "" }, { name: "Application name is required" }],
    ["name must be DNS", { name: "Web_App" }, { name: expect.stringContaining("lower-case") }],
    ["repo required", { repoURL: " " }, { repoURL: "Repository URL is required" }],
    ["a cluster is required", { clusterURL: "" }, { clusterURL: expect.stringContaining("cluster") }],
    ["not both URL and name", { clusterName: "prod" }, { clusterName: expect.stringContaining("not both") }],
    ["namespace is a DNS label", { namespace: "a.b" }, { namespace: expect.stringContaining("DNS label") }],
  ] as [string, object, object][])("%s", (_name, patch, errors) => {
    expect(validate({ ...filled, ...patch })).toEqual(errors);
  });

  it("becomes an Application with the chosen sync policy", () => {
    const app = toApplication({ ...filled, autoSync: true, prune: true, createNamespace: true });
    expect(app.spec).toEqual({
      project: "default",
      source: { repoURL: "https://git.example/apps.git", path: "web", targetRevision: "HEAD" },
      destination: { server: "https://kubernetes.default.svc", namespace: "web" },
      syncPolicy: { automated: { prune: true, selfHeal: false }, syncOptions: ["CreateNamespace=true"] },
    });
    expect(toApplication(filled).spec.syncPolicy).toBeUndefined();
  });

  it("round-trips through the YAML tab", () => {
    const form = { ...filled, clusterURL: "", clusterName: "prod", autoSync: true, selfHeal: true };
    const parsed = parseApplication(toYaml(toApplication(form)));
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(fromApplication(parsed.app)).toEqual(form);
  });

  it.each([
    ["metadata: [", "YAML:"],
    ["- a\n- b", "expected an Application object"],
    ["kind: Deployment\nmetadata: {name: x}\nspec: {}", "kind must be Application"],
    ["spec: {}", "metadata.name is required"],
    ["metadata: {name: x}", "spec is required"],
  ])("refuses YAML %j", (text, message) => {
    const parsed = parseApplication(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toContain(message);
  });
});
