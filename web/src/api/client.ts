/**
 * The UI's only way to the server: Argo CD's REST API under `api/v1`, same origin, relative
 * to the document's <base href> (so `--basehref` works), authenticated by the httpOnly
 * `argocd.token` cookie that `POST api/v1/session` sets. No private endpoints.
 */

/** An answer >= 400: the API's own message (grpc-gateway shape `{error, code, message}`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: number,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export type Query = Record<string, string | number | boolean | string[] | undefined>;

/** `api/v1/...` with the query encoded (arrays repeat the key, as grpc-gateway reads them). */
export function apiUrl(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item));
  }
  const suffix = params.toString();
  return `api/v1/${path.replace(/^\//, "")}${suffix ? `?${suffix}` : ""}`;
}

async function errorOf(answer: Response): Promise<ApiError> {
  let message = `${answer.status} ${answer.statusText}`;
  let code: number | undefined;
  try {
    const body = (await answer.json()) as { message?: string; error?: string; code?: number };
    message = body.message || body.error || message;
    code = body.code;
  } catch {
    // not JSON (a proxy's page): keep the status line
  }
  return new ApiError(answer.status, message, code);
}

/** Listeners told when the API answers 401 (the session ended): the shell goes to login. */
const unauthorized = new Set<() => void>();
export function onUnauthorized(listener: () => void): () => void {
  unauthorized.add(listener);
  return () => unauthorized.delete(listener);
}

export async function request<T>(
  method: string,
  path: string,
  options: { query?: Query; body?: unknown; signal?: AbortSignal } = {},
): Promise<T> {
  const answer = await fetch(apiUrl(path, options.query), {
    method,
    credentials: "same-origin",
    headers: options.body === undefined ? {} : { "Content-Type": "application/json" },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: options.signal,
  });
  if (!answer.ok) {
    const error = await errorOf(answer);
    if (answer.status === 401 && path !== "session") unauthorized.forEach((listener) => listener());
    throw error;
  }
  const text = await answer.text();
  return (text ? JSON.parse(text) : {}) as T;
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) =>
    request<T>("GET", path, { query, signal }),
  post: <T>(path: string, body?: unknown, query?: Query) =>
    request<T>("POST", path, { body: body ?? {}, query }),
  put: <T>(path: string, body?: unknown, query?: Query) =>
    request<T>("PUT", path, { body: body ?? {}, query }),
  patch: <T>(path: string, body?: unknown, query?: Query) =>
    request<T>("PATCH", path, { body: body ?? {}, query }),
  delete: <T>(path: string, query?: Query) => request<T>("DELETE", path, { query }),
};
