import { EMPTY_REPO_FORM, formProblem, repoBody, validateBody } from "./repoForm";
import type { RepoFormState } from "./repoForm";

const form = (over: Partial<RepoFormState>): RepoFormState => ({ ...EMPTY_REPO_FORM, ...over });

describe("repoBody", () => {
  it.each([
    [
      "https with credentials",
      form({ url: " https://git.example/a.git ", username: "u", password: "p", insecure: true, sshPrivateKey: "ignored" }),
      { repo: "https://git.example/a.git", type: "git", username: "u", password: "p", insecure: true },
    ],
    ["ssh key", form({ method: "ssh", url: "git@host:a.git", sshPrivateKey: "KEY", username: "ignored" }), { repo: "git@host:a.git", type: "git", sshPrivateKey: "KEY" }],
    ["helm oci", form({ method: "helm", url: "ghcr.io/charts", name: "charts", enableOCI: true }), { repo: "ghcr.io/charts", type: "helm", name: "charts", enableOCI: true }],
    ["nothing empty sent", form({ url: "https://h/r.git" }), { repo: "https://h/r.git", type: "git" }],
  ])("%s", (_, given, expected) => {
    expect(repoBody(given)).toEqual(expected);
  });

  it("validate spells OCI enableOci and leaves the URL to the path", () => {
    expect(validateBody(form({ method: "helm", url: "ghcr.io/c", name: "c", enableOCI: true }))).toEqual({ type: "helm", name: "c", enableOci: true });
  });
});

describe("formProblem", () => {
  it.each([
    [form({}), "Repository URL is required"],
    [form({ method: "helm", url: "https://charts" }), "A Helm repository needs a name"],
    [form({ url: "git@host:a.git" }), "An HTTPS repository URL starts with https:// (or http://)"],
    [form({ method: "ssh", url: "https://h/a.git" }), "An SSH repository URL looks like git@host:path or ssh://…"],
    [form({ url: "https://h/a.git", password: "p" }), "A password needs a username"],
    [form({ url: "https://h/a.git" }), null],
  ])("%j", (given, expected) => {
    expect(formProblem(given)).toBe(expected);
  });
});
