/**
 * Where to go after login: `/login?return_url=<path>` carries the page the user asked for.
 * Only a path inside the UI is followed (never `//host` or `https://…`: no open redirect).
 */
export const DEFAULT_PAGE = "/applications";

export function loginPath(returnTo: string): string {
  return returnTo && returnTo !== "/" && !returnTo.startsWith("/login")
    ? `/login?return_url=${encodeURIComponent(returnTo)}`
    : "/login";
}

export function safeReturn(raw: string | null): string {
  if (!raw || !raw.startsWith("/") || raw.startsWith("//") || raw.startsWith("/\\")) return DEFAULT_PAGE;
  if (raw.startsWith("/login")) return DEFAULT_PAGE;
  return raw;
}
