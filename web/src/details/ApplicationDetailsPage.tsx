/**
 * The application details page — for now only what mounts the resource panel from the URL
 * (`?resource=<group>/<Kind>/<ns>/<name>&tab=<tab>`): the app is loaded and kept live from
 * the applications stream; the full page (header, tree, list, pods, network) replaces this.
 */
import { useEffect, useState } from "react";
import { useParams, useSearchParams } from "react-router-dom";
import { api } from "../api/client";
import { refFromQuery } from "../api/resourceRef";
import { subscribe } from "../api/stream";
import type { Application } from "../api/types";
import { ErrorNotice } from "../components/ErrorNotice";
import { ResourcePanel, type ResourceTab } from "./resource/ResourcePanel";

export function ApplicationDetailsPage() {
  const { namespace = "", name = "" } = useParams();
  const [query, setQuery] = useSearchParams();
  const [app, setApp] = useState<Application | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    api.get<Application>(`applications/${encodeURIComponent(name)}`, { appNamespace: namespace }).then(setApp, setError);
    return subscribe({ kind: "applications", query: { name, appNamespace: namespace } }, (event) => {
      if (event.type !== "DELETED") setApp(event.application);
    });
  }, [name, namespace]);

  const resource = refFromQuery(query);
  const close = () =>
    setQuery((q) => {
      ["resource", "node", "tab"].forEach((key) => q.delete(key));
      return q;
    });
  return (
    <main>
      <h1>{name}</h1>
      <ErrorNotice error={error} />
      {app && resource && (
        <ResourcePanel
          app={app}
          resource={resource}
          tab={(query.get("tab") ?? "summary") as ResourceTab}
          onTabChange={(tab) =>
            setQuery((q) => {
              q.set("tab", tab);
              return q;
            })
          }
          onClose={close}
        />
      )}
    </main>
  );
}
