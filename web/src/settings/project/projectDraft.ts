/**
 * The project page's draft: the saved AppProject and the user's edits of it. Saving sends the
 * whole object back (`PUT api/v1/projects/{name}`, with the resourceVersion read, so that a
 * concurrent change is refused rather than overwritten). Token calls change the saved project
 * behind the draft: {@link withFreshTokens} takes the new tokens and resourceVersion without
 * losing the edits.
 */
import type { AppProject, ProjectRole } from "../types";

/** Empty lists and blank strings left out, as the API stores an untouched project. */
export function cleaned(project: AppProject): AppProject {
  const spec: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(project.spec)) {
    if (value === undefined || value === "" || (Array.isArray(value) && value.length === 0)) continue;
    spec[key] = value;
  }
  if (Array.isArray(spec.roles)) {
    spec.roles = (spec.roles as ProjectRole[]).map((role) => ({
      ...role,
      policies: (role.policies ?? []).map((p) => p.trim()).filter(Boolean),
    }));
  }
  return { ...project, spec };
}

export function withFreshTokens(draft: AppProject, fresh: AppProject): AppProject {
  const tokens = new Map((fresh.spec.roles ?? []).map((role) => [role.name, role.jwtTokens]));
  return {
    ...draft,
    metadata: { ...draft.metadata, resourceVersion: fresh.metadata.resourceVersion },
    status: fresh.status,
    spec: { ...draft.spec, roles: (draft.spec.roles ?? []).map((role) => ({ ...role, jwtTokens: tokens.get(role.name) })) },
  };
}

export function isChanged(draft: AppProject | undefined, saved: AppProject | undefined): boolean {
  if (!draft || !saved) return false;
  return JSON.stringify(cleaned(draft).spec) !== JSON.stringify(cleaned(saved).spec);
}
