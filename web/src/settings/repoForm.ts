/**
 * The connect-repository form's model: the three ways Argo CD's UI offers (HTTPS, SSH, Helm)
 * and the request body each one sends. Empty fields are left out so that the API never
 * receives (or stores) empty credentials; secrets exist only in the form until it is sent.
 */

export type ConnectMethod = "https" | "ssh" | "helm";

export interface RepoFormState {
  method: ConnectMethod;
  url: string;
  name: string;
  project: string;
  username: string;
  password: string;
  sshPrivateKey: string;
  tlsClientCertData: string;
  tlsClientCertKey: string;
  insecure: boolean;
  enableOCI: boolean;
}

export const EMPTY_REPO_FORM: RepoFormState = {
  method: "https",
  url: "",
  name: "",
  project: "",
  username: "",
  password: "",
  sshPrivateKey: "",
  tlsClientCertData: "",
  tlsClientCertKey: "",
  insecure: false,
  enableOCI: false,
};

/** Which fields each method shows (and sends). */
export const METHOD_FIELDS: Record<ConnectMethod, ReadonlySet<keyof RepoFormState>> = {
  https: new Set(["username", "password", "tlsClientCertData", "tlsClientCertKey", "insecure"]),
  ssh: new Set(["sshPrivateKey", "insecure"]),
  helm: new Set(["username", "password", "tlsClientCertData", "tlsClientCertKey", "insecure", "enableOCI"]),
};

/** What a user must fix before anything is sent (null when the form may be sent). */
export function formProblem(form: RepoFormState): string | null {
  const url = form.url.trim();
  if (!url) return "Repository URL is required";
  if (form.method === "helm" && !form.name.trim()) return "A Helm repository needs a name";
  if (form.method === "ssh" && /^https?:\/\//.test(url)) return "An SSH repository URL looks like git@host:path or ssh://…";
  if (form.method === "https" && !/^https?:\/\//.test(url)) return "An HTTPS repository URL starts with https:// (or http://)";
  if (form.password && !form.username) return "A password needs a username";
  return null;
}

/** The body of `POST api/v1/repositories` (and of `.../validate`, which takes the same names). */
export function repoBody(form: RepoFormState): Record<string, string | boolean> {
  const fields = METHOD_FIELDS[form.method];
  const body: Record<string, string | boolean> = { repo: form.url.trim() };
  body.type = form.method === "helm" ? "helm" : "git";
  if (form.name.trim()) body.name = form.name.trim();
  if (form.project.trim()) body.project = form.project.trim();
  for (const key of ["username", "password", "sshPrivateKey", "tlsClientCertData", "tlsClientCertKey"] as const) {
    if (fields.has(key) && form[key]) body[key] = form[key];
  }
  if (fields.has("insecure") && form.insecure) body.insecure = true;
  if (fields.has("enableOCI") && form.enableOCI) body.enableOCI = true;
  return body;
}

/** The validate endpoint spells OCI `enableOci` and takes the URL from the path. */
export function validateBody(form: RepoFormState): Record<string, string | boolean> {
  const { repo: _repo, enableOCI, ...rest } = repoBody(form);
  void _repo;
  return enableOCI ? { ...rest, enableOci: true } : rest;
}
