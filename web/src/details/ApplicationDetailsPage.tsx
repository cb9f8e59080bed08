/**
 * `/applications/:namespace/:name`: one app, live. The header, a view (tree, list, pods,
 * network: `?view=`), the resource panel when the URL names a resource (`?resource=&tab=`)
 * and the side panels (`?operation=sync|history|edit|delete`). State lives in the URL
 * (query.ts), so deep links and the back button work.
 */
import { lazy, Suspense } from "react";
import { useParams } from "react-router-dom";
import type { ResourceRef } from "../api/resourceRef";
import type { ApplicationTree, ResourceNode } from "../api/types";
import { ErrorNotice } from "../components/ErrorNotice";
import { AppHeader } from "./header/AppHeader";
import { DeletePanel } from "./edit/DeletePanel";
import { EditPanel } from "./edit/EditPanel";
import { HistoryPanel } from "./history/HistoryPanel";
import { ListView } from "./list/ListView";
import { NetworkView } from "./network/NetworkView";
import { usePermissions } from "./permissions";
import { PodsView } from "./pods/PodsView";
import { VIEWS, useDetailsQuery, type DetailsView } from "./query";
import { SyncPanel } from "./sync/SyncPanel";
import { TreeView } from "./tree/TreeView";
import { useApplication, useTree } from "./useApplication";
import "./details.css";

// The resource panel brings the YAML editor and the diff (most of this page's code): it
// loads when a resource is opened, so the tree draws without waiting for it.
const ResourcePanel = lazy(() => import("./resource/ResourcePanel").then((m) => ({ default: m.ResourcePanel })));

/** The tree's node of the resource the URL names, so the panel need not fetch the tree. */
function nodeOf(tree: ApplicationTree | null, ref: ResourceRef): ResourceNode | undefined {
  return tree?.nodes?.find(
    (node) =>
      (node.group ?? "") === ref.group &&
      node.kind === ref.kind &&
      (node.namespace ?? "") === ref.namespace &&
      node.name === ref.name,
  );
}

const VIEW_LABELS: Record<DetailsView, string> = { tree: "Tree", list: "List", pods: "Pods", network: "Network" };

export function ApplicationDetailsPage() {
  const params = useParams();
  const name = params.name ?? "";
  const namespace = params.namespace ?? "";
  const query = useDetailsQuery();
  const { app, error, deleted, stream, refresh } = useApplication(name, namespace);
  const { tree, error: treeError } = useTree(name, namespace);
  const can = usePermissions(app?.spec.project, name);

  if (error && !app) {
    return (
      <main className="details-page">
        <h1>{name}</h1>
        <ErrorNotice error={error} />
      </main>
    );
  }
  if (!app) {
    return (
      <main className="details-page">
        <p role="status">Loading {name}…</p>
      </main>
    );
  }
  const select = query.openResource;
  return (
    <main className="details-page">
      <AppHeader app={app} can={can} stream={stream} onPanel={query.openPanel} onRefresh={refresh} />
      {deleted ? (
        <p role="alert" className="error-notice">
          This application was deleted.
        </p>
      ) : null}
      <div className="details-body">
        <div role="group" aria-label="View" className="view-switch">
          {VIEWS.map((view) => (
            <button
              key={view}
              type="button"
              aria-pressed={query.view === view}
              className={`btn${query.view === view ? " active" : ""}`}
              onClick={() => query.setView(view)}
            >
              {VIEW_LABELS[view]}
            </button>
          ))}
        </div>
        <ErrorNotice error={treeError} />
        <section aria-label={`${VIEW_LABELS[query.view]} view`}>
          {query.view === "tree" ? <TreeView app={app} tree={tree} treeFailed={treeError !== null} selected={query.resource} onSelect={select} /> : null}
          {query.view === "list" ? <ListView app={app} tree={tree} selected={query.resource} onSelect={select} /> : null}
          {query.view === "pods" ? <PodsView tree={tree} selected={query.resource} onSelect={select} /> : null}
          {query.view === "network" ? <NetworkView tree={tree} onSelect={select} /> : null}
        </section>
      </div>
      {query.resource ? (
        <Suspense fallback={<p role="status" className="hint">Loading the resource…</p>}>
          <ResourcePanel
            app={app}
            resource={query.resource}
            node={nodeOf(tree, query.resource)}
            tab={query.tab}
            onTabChange={query.setTab}
            onClose={query.closeResource}
          />
        </Suspense>
      ) : null}
      {query.panel === "sync" ? <SyncPanel app={app} can={can} onClose={query.closePanel} /> : null}
      {query.panel === "history" ? <HistoryPanel app={app} can={can} onClose={query.closePanel} /> : null}
      {query.panel === "edit" ? <EditPanel app={app} can={can} onClose={query.closePanel} /> : null}
      {query.panel === "delete" ? <DeletePanel app={app} can={can} onClose={query.closePanel} /> : null}
    </main>
  );
}
