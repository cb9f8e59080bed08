/**
 * What the signed-in user may do with this app, asked the way Argo CD's UI asks:
 * `GET api/v1/account/can-i/applications/<action>/<project>/<name>` → `{value: "yes"|"no"}`.
 * Until the answers come, nothing is allowed (a button never flashes up and vanishes).
 */
import { useEffect, useState } from "react";
import { api } from "../api/client";

export const ACTIONS = ["sync", "update", "delete"] as const;
export type AppAction = (typeof ACTIONS)[number];
/** `error`: why a question went unanswered (that action then counts as not allowed). */
export type Permissions = Record<AppAction, boolean> & { known: boolean; error?: unknown };

const NONE: Permissions = { sync: false, update: false, delete: false, known: false };

export function canIPath(action: AppAction, project: string, name: string): string {
  return `account/can-i/applications/${action}/${encodeURIComponent(project)}/${encodeURIComponent(name)}`;
}

export function usePermissions(project: string | undefined, name: string): Permissions {
  const [found, setFound] = useState<Permissions>(NONE);
  useEffect(() => {
    if (!project) return;
    let live = true;
    let error: unknown;
    Promise.all(
      ACTIONS.map((action) =>
        api
          .get<{ value?: string }>(canIPath(action, project, name))
          .then((answer) => answer.value === "yes")
          .catch((err: unknown) => {
            error = err;
            return false;
          }),
      ),
    ).then(([sync, update, remove]) => {
      if (live) setFound({ sync, update, delete: remove, known: true, error });
    });
    return () => {
      live = false;
    };
  }, [project, name]);
  return found;
}
