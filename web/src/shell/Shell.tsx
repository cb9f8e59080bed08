/**
 * The frame around every signed-in page: top bar with navigation (Applications, Settings, User
 * info), the signed-in user, the theme switch and logout; pages render in <Outlet/>. The user
 * comes from `GET api/v1/session/userinfo`; not logged in (or any later 401 from the API,
 * through `onUnauthorized`) leads to /login with the page asked for kept in `return_url`.
 */
import { useEffect, useRef, useState } from "react";
import { NavLink, Outlet, useLocation, useNavigate } from "react-router-dom";
import { api, onUnauthorized } from "../api/client";
import type { UserInfo } from "../api/types";
import { ErrorNotice } from "../components/ErrorNotice";
import { loginPath } from "./returnUrl";
import { ThemeToggle } from "./ThemeToggle";
import "./controls.css";
import "./shell.css";

type Session = { state: "checking" } | { state: "in"; user: UserInfo } | { state: "failed"; error: unknown };

export function Shell() {
  const navigate = useNavigate();
  const location = useLocation();
  const [session, setSession] = useState<Session>({ state: "checking" });
  const [logoutError, setLogoutError] = useState<unknown>(null);
  const [menuOpen, setMenuOpen] = useState(false);
  const here = `${location.pathname}${location.search}`;

  useEffect(() => {
    let cancelled = false;
    api
      .get<UserInfo>("session/userinfo")
      .then((user) => {
        if (cancelled) return;
        if (user.loggedIn) setSession({ state: "in", user });
        else navigate(loginPath(here), { replace: true });
      })
      .catch((error) => !cancelled && setSession({ state: "failed", error }));
    return () => {
      cancelled = true;
    };
    // Checked once per mount: pages change under the same session.
  }, []);

  // The listener outlives renders: it reads where the user is now through a ref.
  const hereRef = useRef(here);
  hereRef.current = here;
  useEffect(() => onUnauthorized(() => navigate(loginPath(hereRef.current), { replace: true })), [navigate]);

  useEffect(() => setMenuOpen(false), [location.pathname]);

  const logout = async () => {
    setLogoutError(null);
    if (session.state === "in" && session.user.iss && session.user.iss !== "argocd") {
      // An SSO session: the server revokes it and sends the browser on to the provider's
      // logout, so the provider's session ends too (Argo CD's /auth/logout).
      const back = new URL("login", document.baseURI).href;
      window.location.assign(new URL(`auth/logout?return_url=${encodeURIComponent(back)}`, document.baseURI).href);
      return;
    }
    try {
      await api.delete("session");
      navigate("/login", { replace: true });
    } catch (error) {
      setLogoutError(error);
    }
  };

  const user = session.state === "in" ? session.user : null;
  return (
    <div className="shell">
      <header className="shell-top">
        <a className="shell-skip" href="#main">Skip to content</a>
        <span className="shell-brand">Kapstan</span>
        <button
          type="button"
          className="shell-menu-button"
          aria-expanded={menuOpen}
          aria-controls="shell-nav"
          onClick={() => setMenuOpen(!menuOpen)}
        >
          Menu
        </button>
        <nav id="shell-nav" aria-label="Main" className={`shell-nav${menuOpen ? " open" : ""}`}>
          <NavLink to="/applications">Applications</NavLink>
          <NavLink to="/settings">Settings</NavLink>
          <NavLink to="/user-info">User info</NavLink>
        </nav>
        <div className="shell-user">
          {user && (
            <span className="shell-username" title="Signed in as">
              <span className="sr-only">Signed in as </span>
              {user.username}
            </span>
          )}
          <ThemeToggle />
          <button type="button" onClick={() => void logout()}>Log out</button>
        </div>
      </header>
      <ErrorNotice error={logoutError} />
      {session.state === "failed" && <ErrorNotice error={session.error} />}
      <div id="main" className="shell-content">
        {/* Pages load while the session is checked (their requests run in parallel); a visitor
            who is not logged in is sent to login by the check or by the first 401. */}
        <Outlet />
      </div>
    </div>
  );
}
