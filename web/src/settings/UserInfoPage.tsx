/**
 * `/user-info`: who the session is (username, issuer, groups from `session/userinfo`) and what
 * it may do — a table of can-i answers per resource and action. An answer that fails shows the
 * API's error in its cell instead of guessing "no".
 */
import { api } from "../api/client";
import type { UserInfo } from "../api/types";
import { ErrorNotice, errorText } from "../components/ErrorNotice";
import { ALL_ACTIONS, PERMISSION_ROWS, canIPath } from "./permissions";
import type { RbacAction, RbacResource } from "./permissions";
import { useLoad } from "./useLoad";
import "./settings.css";

type Answer = "yes" | "no" | { error: string };
type Answers = Record<string, Answer>;

const key = (resource: RbacResource, action: RbacAction) => `${resource}/${action}`;

async function askAll(signal: AbortSignal): Promise<Answers> {
  const questions = PERMISSION_ROWS.flatMap((row) => row.actions.map((action) => ({ row, action })));
  const answers = await Promise.all(
    questions.map(async ({ row, action }): Promise<[string, Answer]> => {
      try {
        const got = await api.get<{ value: string }>(canIPath(row.resource, action, row.object), {}, signal);
        return [key(row.resource, action), got.value === "yes" ? "yes" : "no"];
      } catch (failure) {
        return [key(row.resource, action), { error: errorText(failure) }];
      }
    }),
  );
  return Object.fromEntries(answers);
}

function Cell({ answer }: { answer: Answer | undefined }) {
  if (answer === undefined) return <td className="tone-muted">—</td>;
  if (typeof answer === "object") return <td className="tone-bad">{answer.error}</td>;
  return (
    <td className={answer === "yes" ? "tone-ok" : "tone-muted"}>
      {answer === "yes" ? "✔ yes" : "✖ no"}
    </td>
  );
}

export function UserInfoPage() {
  const user = useLoad((signal) => api.get<UserInfo>("session/userinfo", {}, signal), []);
  const answers = useLoad(askAll, []);
  const info = user.data;
  return (
    <main className="settings-main user-info">
      <h1>User info</h1>
      <ErrorNotice error={user.error} />
      {info && (
        <dl className="settings-card user-facts">
          <dt>Username</dt>
          <dd>{info.username ?? "(not signed in)"}</dd>
          <dt>Issuer</dt>
          <dd>{info.iss ?? "—"}</dd>
          <dt>Groups</dt>
          <dd>
            {info.groups?.length ? (
              <ul className="tag-list" aria-label="Groups">
                {info.groups.map((group) => (
                  <li key={group}>{group}</li>
                ))}
              </ul>
            ) : (
              "none"
            )}
          </dd>
        </dl>
      )}
      <h2 id="permissions-title">Permissions</h2>
      <ErrorNotice error={answers.error} />
      <table className="settings-table permissions" aria-labelledby="permissions-title">
        <thead>
          <tr>
            <th scope="col">Resource</th>
            {ALL_ACTIONS.map((action) => (
              <th scope="col" key={action}>
                {action}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {PERMISSION_ROWS.map((row) => (
            <tr key={row.resource}>
              <th scope="row">{row.resource}</th>
              {ALL_ACTIONS.map((action) =>
                row.actions.includes(action) ? (
                  <Cell key={action} answer={answers.data?.[key(row.resource, action)]} />
                ) : (
                  <td key={action} className="tone-muted">
                    <span aria-hidden="true">·</span>
                    <span className="sr-only">not applicable</span>
                  </td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}
