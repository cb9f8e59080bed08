/**
 * The "New app" form's model: its fields, the checks made before anything is sent (the server
 * checks again and its message is shown too), and the Application it becomes — the same object
 * the YAML tab shows, so switching tabs carries the user's input across.
 */
import { parse, stringify } from "yaml";
import type { Application, ApplicationSource } from "../api/types";

export interface NewAppForm {
  name: string;
  project: string;
  repoURL: string;
  path: string;
  targetRevision: string;
  clusterURL: string;
  clusterName: string;
  namespace: string;
  autoSync: boolean;
  prune: boolean;
  selfHeal: boolean;
  createNamespace: boolean;
}

export const IN_CLUSTER = "https://kubernetes.default.svc";

export const EMPTY_FORM: NewAppForm = {
  name: "",
  project: "default",
  repoURL: "",
  path: "",
  targetRevision: "HEAD",
  clusterURL: IN_CLUSTER,
  clusterName: "",
  namespace: "",
  autoSync: false,
  prune: false,
  selfHeal: false,
  createNamespace: false,
};

const DNS_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export type FormErrors = Partial<Record<keyof NewAppForm, string>>;

export function validate(form: NewAppForm): FormErrors {
  const errors: FormErrors = {};
  if (!form.name.trim()) errors.name = "Application name is required";
  else if (form.name.length > 253 || !DNS_NAME.test(form.name))
    errors.name = "lower-case letters, digits, '-' and '.'; starting and ending with a letter or digit";
  if (!form.project.trim()) errors.project = "Project is required";
  if (!form.repoURL.trim()) errors.repoURL = "Repository URL is required";
  if (!form.clusterURL.trim() && !form.clusterName.trim())
    errors.clusterURL = "Give the cluster URL or the cluster name";
  if (form.clusterURL.trim() && form.clusterName.trim())
    errors.clusterName = "Give the cluster URL or the cluster name, not both";
  if (form.namespace && (form.namespace.length > 63 || !DNS_LABEL.test(form.namespace)))
    errors.namespace = "a DNS label: lower-case letters, digits and '-'";
  return errors;
}

export function toApplication(form: NewAppForm): Application {
  const destination: Application["spec"]["destination"] = form.clusterName.trim()
    ? { name: form.clusterName.trim() }
    : { server: form.clusterURL.trim() };
  if (form.namespace.trim()) destination.namespace = form.namespace.trim();
  const syncPolicy: NonNullable<Application["spec"]["syncPolicy"]> = {};
  if (form.autoSync) syncPolicy.automated = { prune: form.prune, selfHeal: form.selfHeal };
  if (form.createNamespace) syncPolicy.syncOptions = ["CreateNamespace=true"];
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: { name: form.name.trim() },
    spec: {
      project: form.project.trim(),
      source: {
        repoURL: form.repoURL.trim(),
        path: form.path.trim() || undefined,
        targetRevision: form.targetRevision.trim() || "HEAD",
      },
      destination,
      ...(Object.keys(syncPolicy).length ? { syncPolicy } : {}),
    },
  };
}

/** The form's fields as far as `app` has them (what the YAML tab hands back to the form). */
export function fromApplication(app: Application): NewAppForm {
  const source: Partial<ApplicationSource> = app.spec?.source ?? {};
  const dest = app.spec?.destination ?? {};
  const automated = app.spec?.syncPolicy?.automated;
  return {
    name: app.metadata?.name ?? "",
    project: app.spec?.project ?? "",
    repoURL: source.repoURL ?? "",
    path: source.path ?? "",
    targetRevision: source.targetRevision ?? "",
    clusterURL: dest.server ?? "",
    clusterName: dest.name ?? "",
    namespace: dest.namespace ?? "",
    autoSync: automated !== undefined && automated !== null,
    prune: automated?.prune ?? false,
    selfHeal: automated?.selfHeal ?? false,
    createNamespace: (app.spec?.syncPolicy?.syncOptions ?? []).includes("CreateNamespace=true"),
  };
}

export function toYaml(app: Application): string {
  return stringify(JSON.parse(JSON.stringify(app)));
}

export type ParsedApp = { ok: true; app: Application } | { ok: false; error: string };

/** The YAML tab's text as an Application, or why it is not one. */
export function parseApplication(text: string): ParsedApp {
  let value: unknown;
  try {
    value = parse(text);
  } catch (err) {
    return { ok: false, error: `YAML: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return { ok: false, error: "YAML: expected an Application object (apiVersion, kind, metadata, spec)" };
  const app = value as Partial<Application>;
  if (app.kind !== undefined && app.kind !== "Application") return { ok: false, error: `kind must be Application, not ${String(app.kind)}` };
  if (typeof app.metadata?.name !== "string" || !app.metadata.name) return { ok: false, error: "metadata.name is required" };
  if (typeof app.spec !== "object" || app.spec === null) return { ok: false, error: "spec is required" };
  return { ok: true, app: app as Application };
}
