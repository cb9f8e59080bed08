/**
 * The revision to preview: free text (a branch, tag or commit SHA) with the repository's
 * branches and tags as suggestions (`GET api/v1/repositories/{repo}/refs`). When the refs
 * cannot be listed (the repository is not one the API can reach, or no permission), the
 * picker says why and free text still works.
 */
import { useEffect, useId, useState } from "react";
import type { FormEvent } from "react";
import { api } from "../api/client";
import { errorText } from "../components/ErrorNotice";

interface Refs {
  branches?: string[];
  tags?: string[];
}

export function RevisionPicker({
  repoURL,
  initial,
  busy,
  onPick,
}: {
  repoURL: string;
  initial: string;
  busy: boolean;
  onPick: (revision: string) => void;
}) {
  const [text, setText] = useState(initial);
  const [refs, setRefs] = useState<Refs>({});
  const [refsProblem, setRefsProblem] = useState<string | null>(null);
  const id = useId();
  useEffect(() => setText(initial), [initial]);
  useEffect(() => {
    if (!repoURL) return;
    const abort = new AbortController();
    api
      .get<Refs>(`repositories/${encodeURIComponent(repoURL)}/refs`, {}, abort.signal)
      .then((found) => {
        setRefs(found);
        setRefsProblem(null);
      })
      .catch((failure: unknown) => {
        if (!abort.signal.aborted) setRefsProblem(errorText(failure));
      });
    return () => abort.abort();
  }, [repoURL]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (text.trim()) onPick(text.trim());
  };
  return (
    <form className="preview-picker" onSubmit={submit} aria-label="Revision to preview">
      <label htmlFor={`${id}-rev`}>Branch, tag or commit</label>
      <div className="preview-picker-row">
        <input
          id={`${id}-rev`}
          list={`${id}-refs`}
          value={text}
          autoComplete="off"
          spellCheck={false}
          placeholder="feature/my-change or a commit SHA"
          onChange={(event) => setText(event.target.value)}
        />
        <datalist id={`${id}-refs`}>
          {(refs.branches ?? []).map((branch) => (
            <option key={`b:${branch}`} value={branch}>
              branch
            </option>
          ))}
          {(refs.tags ?? []).map((tag) => (
            <option key={`t:${tag}`} value={tag}>
              tag
            </option>
          ))}
        </datalist>
        <button type="submit" className="primary" disabled={busy || !text.trim()}>
          {busy ? "Previewing…" : "Preview"}
        </button>
      </div>
      {refsProblem && <p className="tone-muted preview-note">No branch suggestions: {refsProblem}</p>}
    </form>
  );
}
