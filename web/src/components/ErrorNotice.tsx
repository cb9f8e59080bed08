/** An API error shown where the action was taken: the API's message, never swallowed. */
import { ApiError } from "../api/client";

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return `${error.message} (HTTP ${error.status})`;
  if (error instanceof Error) return error.message;
  return String(error);
}

export function ErrorNotice({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  return (
    <div role="alert" className="error-notice">
      {errorText(error)}
    </div>
  );
}
