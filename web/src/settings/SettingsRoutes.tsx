/**
 * Settings, mounted at `/settings/*` (Argo CD's paths): repositories, repository credential
 * templates, clusters, projects (and one project's page), accounts. A side navigation lists
 * the sections; each section is its own module.
 */
import { NavLink, Navigate, Route, Routes } from "react-router-dom";
import { AccountsPage } from "./AccountsPage";
import { ClustersPage } from "./ClustersPage";
import { ProjectPage } from "./project/ProjectPage";
import { ProjectsPage } from "./ProjectsPage";
import { RepoCredsPage } from "./RepoCredsPage";
import { RepositoriesPage } from "./RepositoriesPage";
import "./settings.css";

const SECTIONS = [
  { path: "repositories", label: "Repositories" },
  { path: "repocreds", label: "Repository credentials" },
  { path: "clusters", label: "Clusters" },
  { path: "projects", label: "Projects" },
  { path: "accounts", label: "Accounts" },
] as const;

export function SettingsRoutes() {
  return (
    <div className="settings">
      <nav className="settings-nav" aria-label="Settings">
        <h2>Settings</h2>
        <ul>
          {SECTIONS.map((section) => (
            <li key={section.path}>
              <NavLink to={`/settings/${section.path}`}>{section.label}</NavLink>
            </li>
          ))}
          <li>
            <NavLink to="/user-info">User info</NavLink>
          </li>
        </ul>
      </nav>
      <main className="settings-main">
        <Routes>
          <Route index element={<Navigate to="repositories" replace />} />
          <Route path="repositories" element={<RepositoriesPage />} />
          <Route path="repocreds" element={<RepoCredsPage />} />
          <Route path="clusters" element={<ClustersPage />} />
          <Route path="projects" element={<ProjectsPage />} />
          <Route path="projects/:name" element={<ProjectPage />} />
          <Route path="accounts" element={<AccountsPage />} />
          <Route path="*" element={<Navigate to="repositories" replace />} />
        </Routes>
      </main>
    </div>
  );
}
