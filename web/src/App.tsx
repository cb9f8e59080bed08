/**
 * Routes, as Argo CD's UI names them, so deep links keep working for users who switch:
 * `/login`, `/applications`, `/applications/<ns>/<name>?resource=…&tab=…`, `/settings/*`,
 * `/user-info`; plus Kapstan's `/preview/<ns>/<name>` (PR preview). The browser's history
 * drives navigation (back button works). `basename` follows the document's <base href>.
 */
import { lazy, Suspense, type ReactNode } from "react";
import { BrowserRouter, Navigate, Route, Routes } from "react-router-dom";
import { ApplicationsPage } from "./apps/ApplicationsPage";
import { LoginPage } from "./login/LoginPage";
import { Shell } from "./shell/Shell";

// The list and login load first; the pages with the editor, the graph layout and the diff
// (most of the bundle) load when first visited.
const ApplicationDetailsPage = lazy(() =>
  import("./details/ApplicationDetailsPage").then((m) => ({ default: m.ApplicationDetailsPage })),
);
const PreviewPage = lazy(() => import("./preview/PreviewPage").then((m) => ({ default: m.PreviewPage })));
const SettingsRoutes = lazy(() =>
  import("./settings/SettingsRoutes").then((m) => ({ default: m.SettingsRoutes })),
);
const UserInfoPage = lazy(() => import("./settings/UserInfoPage").then((m) => ({ default: m.UserInfoPage })));

function Loading({ children }: { children: ReactNode }) {
  return <Suspense fallback={<p role="status">Loading…</p>}>{children}</Suspense>;
}

function basename(): string {
  const path = new URL(document.baseURI).pathname;
  return path.endsWith("/") ? path.slice(0, -1) : path;
}

export function App() {
  return (
    <BrowserRouter basename={basename()}>
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route element={<Shell />}>
          <Route path="/" element={<Navigate to="/applications" replace />} />
          <Route path="/applications" element={<ApplicationsPage />} />
          <Route path="/applications/:namespace/:name" element={<Loading><ApplicationDetailsPage /></Loading>} />
          <Route path="/preview/:namespace/:name" element={<Loading><PreviewPage /></Loading>} />
          <Route path="/settings/*" element={<Loading><SettingsRoutes /></Loading>} />
          <Route path="/user-info" element={<Loading><UserInfoPage /></Loading>} />
          <Route path="*" element={<Navigate to="/applications" replace />} />
        </Route>
      </Routes>
    </BrowserRouter>
  );
}
