/**
 * The permission questions the user-info page asks (`GET api/v1/account/can-i/<resource>/
 * <action>/<object>`). Objects are the broadest of each resource: applications are
 * `<project>/<app>` in Argo CD's RBAC, so `*\/*`; the others are a name or URL, so `*`.
 */

export type RbacResource = "applications" | "projects" | "repositories" | "clusters" | "accounts";
export type RbacAction = "get" | "create" | "update" | "sync" | "delete";

export const PERMISSION_ROWS: readonly { resource: RbacResource; object: string; actions: readonly RbacAction[] }[] = [
  { resource: "applications", object: "*/*", actions: ["get", "create", "sync", "delete"] },
  { resource: "projects", object: "*", actions: ["get", "create", "update", "delete"] },
  { resource: "repositories", object: "*", actions: ["get", "create", "update", "delete"] },
  { resource: "clusters", object: "*", actions: ["get", "create", "update", "delete"] },
  { resource: "accounts", object: "*", actions: ["get", "update"] },
];

export const ALL_ACTIONS: readonly RbacAction[] = ["get", "create", "update", "sync", "delete"];

/** The can-i path of one question (the object may hold `/`, which the route allows). */
export function canIPath(resource: RbacResource, action: RbacAction, object: string): string {
  return `account/can-i/${resource}/${action}/${object.split("/").map(encodeURIComponent).join("/")}`;
}
