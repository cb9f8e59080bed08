/**
 * Routes, as Argo CD's UI names them, so deep links keep working for users who switch:
 * `/login`, `/applications`, `/applications/<ns>/<name>?resource=…&tab=…`, `/settings/*`,
 * `/user-info`; plus Kapstan's `/preview/<ns>/<name>` (PR preview). The browser's history
 * drives navigation (back button works). `basename` follows the document's <base href>.
 */
import { BrowserRouter, Navigate, Route, Routes } from "react-router-dom";
import { ApplicationDetailsPage } from "./details/ApplicationDetailsPage";
import { ApplicationsPage } from "./apps/ApplicationsPage";
import { LoginPage } from "./login/LoginPage";
import { PreviewPage } from "./preview/PreviewPage";
import { SettingsRoutes } from "./settings/SettingsRoutes";
import { UserInfoPage } from "./settings/UserInfoPage";
import { Shell } from "./shell/Shell";

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
          <Route path="/applications/:namespace/:name" element={<ApplicationDetailsPage />} />
          <Route path="/preview/:namespace/:name" element={<PreviewPage />} />
          <Route path="/settings/*" element={<SettingsRoutes />} />
          <Route path="/user-info" element={<UserInfoPage />} />
          <Route path="*" element={<Navigate to="/applications" replace />} />
        </Route>
      </Routes>
    </BrowserRouter>
  );
}
