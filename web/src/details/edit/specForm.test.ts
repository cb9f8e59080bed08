import { formOf, formProblem, specOf } from "./specForm";
import type { ApplicationSpec } from "../../api/types";

const spec: ApplicationSpec = {
  project: "default",
  source: { repoURL: "https://git.example/apps", path: "web", targetRevision: "main", directory: { recurse: true } },
  destination: { server: "https://kubernetes.default.svc", namespace: "web" },
  syncPolicy: { automated: { prune: true }, syncOptions: ["CreateNamespace=true"] },
};

describe("app details form", () => {
  it("round-trips a spec unchanged, keeping fields the form does not show", () => {
    expect(specOf(spec, formOf(spec))).toEqual({ ...spec, syncPolicy: { automated: { prune: true, selfHeal: false }, syncOptions: ["CreateNamespace=true"] } });
  });

  it("turns auto-sync off and sets Helm parameters and Kustomize images", () => {
    const form = { ...formOf(spec), automated: false, helmParameters: "replicas=3\nimage.tag=v2", kustomizeImages: "nginx:1.27" };
    const next = specOf(spec, form);
    expect(next.syncPolicy).toEqual({ syncOptions: ["CreateNamespace=true"] });
    expect(next.source?.helm?.parameters).toEqual([{ name: "replicas", value: "3" }, { name: "image.tag", value: "v2" }]);
    expect(next.source?.kustomize?.images).toEqual(["nginx:1.27"]);
    expect(next.source?.directory).toEqual({ recurse: true });
  });

  it.each([
    [{ repoURL: " " }, "Repository URL is required."],
    [{ server: "" }, "Destination cluster is required."],
    [{ helmParameters: "replicas" }, 'Helm parameter "replicas" must be name=value.'],
  ])("refuses %j", (change, message) => {
    expect(formProblem({ ...formOf(spec), ...change })).toBe(message);
  });
});
