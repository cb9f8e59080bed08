/**
 * /login: username and password (`POST api/v1/session`, which sets the session cookie), then
 * the page kept in `return_url`. The API's message is shown as it answers: a wrong password
 * and a throttled login both get Argo CD's "Invalid username or password" (the server does not
 * tell them apart), so after repeated failures the page also says that the server refuses
 * further attempts for a while. SSO (oidcConfig or dexConfig in `GET api/v1/settings`) is a
 * link to `auth/login?return_url=…`, as Argo CD's UI does.
 */
import { useEffect, useState } from "react";
import { useNavigate, useSearchParams } from "react-router-dom";
import { api, ApiError } from "../api/client";
import { safeReturn } from "../shell/returnUrl";
import { ThemeToggle } from "../shell/ThemeToggle";
import "../shell/controls.css";
import "./login.css";

interface AuthSettings {
  oidcConfig?: { name?: string };
  dexConfig?: { connectors?: { name?: string }[] };
  userLoginsDisabled?: boolean;
  uiLoginButtonText?: string;
}

/** Failures before the server's throttle (Argo CD's default ARGOCD_SESSION_MAX_FAIL_COUNT). */
const THROTTLE_AFTER = 5;

export function ssoName(settings: AuthSettings): string | null {
  if (settings.oidcConfig) return settings.oidcConfig.name || "SSO";
  if (settings.dexConfig?.connectors?.length) return "SSO";
  return null;
}

export function loginError(error: unknown, failures: number): string {
  if (error instanceof ApiError && error.status === 429)
    return `${error.message}: too many login attempts; wait a moment and try again.`;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof ApiError && error.status === 401 && failures >= THROTTLE_AFTER)
    return `${message}. After ${THROTTLE_AFTER} failed attempts the server refuses logins for this user for a few minutes, even with the right password.`;
  return message;
}

export function LoginPage() {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const target = safeReturn(params.get("return_url"));
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [failures, setFailures] = useState(0);
  const [busy, setBusy] = useState(false);
  const [settings, setSettings] = useState<AuthSettings>({});

  useEffect(() => {
    api.get<AuthSettings>("settings").then(setSettings, () => setSettings({}));
  }, []);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (!username.trim() || !password) {
      setError("Enter your username and password.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api.post("session", { username: username.trim(), password });
      navigate(target, { replace: true });
    } catch (err) {
      const count = failures + 1;
      setFailures(count);
      setError(loginError(err, count));
      setPassword("");
    } finally {
      setBusy(false);
    }
  };

  const sso = ssoName(settings);
  const ssoHref = `auth/login?return_url=${encodeURIComponent(new URL(target.slice(1), document.baseURI).href)}`;
  return (
    <main className="login-page">
      <div className="login-theme"><ThemeToggle /></div>
      <section className="login-card" aria-labelledby="login-title">
        <h1 id="login-title">Kapstan</h1>
        <p className="muted">GitOps continuous delivery</p>
        {!settings.userLoginsDisabled && (
          <form onSubmit={(e) => void submit(e)} noValidate className="login-form">
            <label htmlFor="login-username">Username</label>
            <input id="login-username" autoComplete="username" autoFocus value={username} onChange={(e) => setUsername(e.target.value)} />
            <label htmlFor="login-password">Password</label>
            <input id="login-password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
            {error && <div role="alert" className="error-notice">{error}</div>}
            <button type="submit" className="primary" disabled={busy}>{busy ? "Signing in…" : "Sign in"}</button>
          </form>
        )}
        {sso && (
          <a className="login-sso" href={ssoHref}>
            {settings.uiLoginButtonText || `Log in via ${sso}`}
          </a>
        )}
      </section>
    </main>
  );
}
