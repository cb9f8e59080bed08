/** A commit's author and message (`GET .../revisions/{revision}/metadata`), fetched once per revision. */
import { useEffect, useState } from "react";
import { api } from "../../api/client";
import { appPath } from "../useApplication";

export interface RevisionMetadata {
  author?: string;
  date?: string;
  message?: string;
  tags?: string[];
}

export function shortRevision(revision: string | undefined): string {
  if (!revision) return "";
  return /^[0-9a-f]{40}$/.test(revision) ? revision.slice(0, 7) : revision;
}

export function useRevisionMetadata(
  name: string,
  appNamespace: string,
  revision: string | undefined,
  versionId?: number,
): { metadata: RevisionMetadata | null; error: unknown } {
  const [metadata, setMetadata] = useState<RevisionMetadata | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setMetadata(null);
    setError(null);
    if (!revision) return;
    const abort = new AbortController();
    api
      .get<RevisionMetadata>(
        appPath(name, `/revisions/${encodeURIComponent(revision)}/metadata`),
        { appNamespace, versionId },
        abort.signal,
      )
      .then(setMetadata)
      .catch((err: unknown) => {
        if (!abort.signal.aborted) setError(err);
      });
    return () => abort.abort();
  }, [name, appNamespace, revision, versionId]);
  return { metadata, error };
}
