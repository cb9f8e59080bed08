/**
 * A slide-out panel over the details page (sync, history, edit, delete): a labelled dialog
 * region with a close button; Escape closes it; focus moves into it when it opens.
 */
import { useEffect, useRef, type ReactNode } from "react";
import "./panel.css";

export function SidePanel({ title, onClose, children }: { title: string; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return (
    <section
      ref={ref}
      className="side-panel"
      role="dialog"
      aria-label={title}
      tabIndex={-1}
      onKeyDown={(event) => {
        if (event.key === "Escape") onClose();
      }}
    >
      <header className="side-panel-head">
        <h2>{title}</h2>
        <button type="button" className="btn" onClick={onClose} aria-label={`Close ${title}`}>
          ✕
        </button>
      </header>
      <div className="side-panel-body">{children}</div>
    </section>
  );
}

/** What a user without the right sees when a panel is opened by URL. */
export function NotAllowed({ action, project, name }: { action: string; project: string; name: string }) {
  return (
    <p role="alert" className="not-allowed">
      You are not allowed to {action} this application: your role lacks <code>applications, {action ===
      "edit" ? "update" : action}, {project}/{name}</code>. Ask an administrator for the permission.
    </p>
  );
}
