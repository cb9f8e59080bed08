/**
 * What the panel knows about its resource, loaded together and again whenever the app
 * changes (a new comparison: the diff, health and live object may have moved) or `reload`
 * is called: the live object (`resource`), its `managed-resources` entry (desired state and
 * diff; null for resources Git does not hold, such as Pods) and its resource-tree node.
 * Each part fails on its own, with the API's error kept for the tab that shows it.
 */
import { useCallback, useEffect, useState } from "react";
import { sameRef, type ResourceRef } from "../../api/resourceRef";
import type { Application, ResourceNode } from "../../api/types";
import { resourceApi, type KubeObject, type ManagedResource } from "./resourceApi";

export interface Loaded<T> {
  value: T | null;
  error: unknown;
  loading: boolean;
}

export interface ResourceData {
  live: Loaded<KubeObject>;
  managed: Loaded<ManagedResource>;
  node: Loaded<ResourceNode>;
  reload: () => void;
}

const pending = <T,>(): Loaded<T> => ({ value: null, error: null, loading: true });

function nodeRef(node: ResourceNode): ResourceRef {
  return { group: node.group ?? "", kind: node.kind, namespace: node.namespace ?? "", name: node.name };
}

/** Changes when the controller compared the app again (or the app itself changed). */
function generation(app: Application): string {
  return `${app.metadata.resourceVersion ?? ""}:${app.status?.reconciledAt ?? ""}`;
}

/** `known`: the resource's tree node when the caller has the tree already (not fetched again). */
export function useResource(app: Application, ref: ResourceRef, known?: ResourceNode): ResourceData {
  const [live, setLive] = useState<Loaded<KubeObject>>(pending);
  const [managed, setManaged] = useState<Loaded<ManagedResource>>(pending);
  const [node, setNode] = useState<Loaded<ResourceNode>>(pending);
  const [asked, setAsked] = useState(0);
  const reload = useCallback(() => setAsked((n) => n + 1), []);
  const key = `${app.metadata.name}|${ref.group}/${ref.kind}/${ref.namespace}/${ref.name}`;
  const version = generation(app);

  useEffect(() => {
    const abort = new AbortController();
    const settle = <T,>(set: (l: Loaded<T>) => void, work: Promise<T | null>) => {
      work.then(
        (value) => !abort.signal.aborted && set({ value, error: null, loading: false }),
        (error: unknown) => !abort.signal.aborted && set({ value: null, error, loading: false }),
      );
    };
    settle(setLive, resourceApi.live(app, ref, abort.signal));
    settle(setManaged, resourceApi.managed(app, ref, abort.signal));
    if (!known) {
      settle(
        setNode,
        resourceApi
          .tree(app, abort.signal)
          .then((tree) => (tree.nodes ?? []).find((n) => sameRef(nodeRef(n), ref)) ?? null),
      );
    }
    return () => abort.abort();
    // `key` and `version` stand for app and ref: refetch when they change, not on every render.
  }, [key, version, asked, Boolean(known)]);

  // A different resource starts empty rather than showing the previous one's data.
  useEffect(() => {
    setLive(pending);
    setManaged(pending);
    setNode(pending);
  }, [key]);

  return { live, managed, node: known ? { value: known, error: null, loading: false } : node, reload };
}
