/**
 * The App details form ↔ the app's spec. The form edits a few fields; everything else in
 * the spec goes back as it came. Helm parameters and Kustomize images are edited one per
 * line (`name=value`, `image[:tag]` / `name=newName:tag`).
 */
import type { ApplicationSpec } from "../../api/types";

export interface SpecForm {
  repoURL: string;
  path: string;
  targetRevision: string;
  server: string;
  namespace: string;
  automated: boolean;
  prune: boolean;
  selfHeal: boolean;
  helmValues: string;
  helmParameters: string;
  kustomizeImages: string;
}

export function formOf(spec: ApplicationSpec): SpecForm {
  const source = spec.source ?? spec.sources?.[0];
  const automated = spec.syncPolicy?.automated;
  return {
    repoURL: source?.repoURL ?? "",
    path: source?.path ?? "",
    targetRevision: source?.targetRevision ?? "",
    server: spec.destination.server ?? spec.destination.name ?? "",
    namespace: spec.destination.namespace ?? "",
    automated: automated !== undefined && automated !== null && automated.enabled !== false,
    prune: automated?.prune ?? false,
    selfHeal: automated?.selfHeal ?? false,
    helmValues: source?.helm?.values ?? "",
    helmParameters: (source?.helm?.parameters ?? []).map((p) => `${p.name}=${p.value}`).join("\n"),
    kustomizeImages: (source?.kustomize?.images ?? []).join("\n"),
  };
}

function lines(text: string): string[] {
  return text.split("\n").map((l) => l.trim()).filter(Boolean);
}

/** Why the form cannot be saved, or null. */
export function formProblem(form: SpecForm): string | null {
  if (!form.repoURL.trim()) return "Repository URL is required.";
  if (!form.server.trim()) return "Destination cluster is required.";
  const bad = lines(form.helmParameters).find((l) => !/^[^=\s]+=/.test(l));
  if (bad) return `Helm parameter "${bad}" must be name=value.`;
  return null;
}

/** The spec with the form's fields applied (single source; for `sources`, the first). */
export function specOf(spec: ApplicationSpec, form: SpecForm): ApplicationSpec {
  const multi = !spec.source && !!spec.sources?.length;
  const old = (multi ? spec.sources![0] : spec.source) ?? { repoURL: "" };
  const source = { ...old, repoURL: form.repoURL.trim(), path: form.path.trim() || undefined, targetRevision: form.targetRevision.trim() || undefined };
  const parameters = lines(form.helmParameters).map((l) => {
    const at = l.indexOf("=");
    return { name: l.slice(0, at), value: l.slice(at + 1) };
  });
  if (form.helmValues.trim() || parameters.length || old.helm) {
    const helm = { ...(old.helm ?? {}), values: form.helmValues || undefined, parameters: parameters.length ? parameters : undefined };
    source.helm = helm;
  }
  const images = lines(form.kustomizeImages);
  if (images.length || old.kustomize) source.kustomize = { ...(old.kustomize ?? {}), images: images.length ? images : undefined };
  const destination = { ...spec.destination, namespace: form.namespace.trim() || undefined };
  if (spec.destination.name && !spec.destination.server) destination.name = form.server.trim();
  else destination.server = form.server.trim();
  const policy = { ...(spec.syncPolicy ?? {}) };
  if (form.automated) policy.automated = { ...(policy.automated ?? {}), prune: form.prune, selfHeal: form.selfHeal };
  else delete policy.automated;
  const next: ApplicationSpec = { ...spec, destination, syncPolicy: policy };
  if (multi) next.sources = [source, ...spec.sources!.slice(1)];
  else next.source = source;
  return JSON.parse(JSON.stringify(next)) as ApplicationSpec; // drops the undefined fields
}
