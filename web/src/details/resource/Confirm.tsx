/**
 * An inline confirmation (alertdialog) for changes to the cluster: the question, a confirm
 * button that takes the focus when it opens, and Cancel (Escape cancels too, and does not
 * close the panel). While `busy`, both buttons are disabled.
 */
import { useEffect, useRef, type ReactNode } from "react";

export interface ConfirmProps {
  title: string;
  children?: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}

export function Confirm({ title, children, confirmLabel, danger, busy, onConfirm, onCancel }: ConfirmProps) {
  const button = useRef<HTMLButtonElement>(null);
  useEffect(() => button.current?.focus(), []);
  return (
    <div
      role="alertdialog"
      aria-label={title}
      className="rp-confirm"
      onKeyDown={(event) => {
        if (event.key === "Escape") {
          event.stopPropagation();
          onCancel();
        }
      }}
    >
      <p className="rp-confirm-title">{title}</p>
      {children}
      <div className="rp-buttons">
        <button ref={button} type="button" className={danger ? "rp-danger" : "rp-primary"} disabled={busy} onClick={onConfirm}>
          {busy ? "Working…" : confirmLabel}
        </button>
        <button type="button" disabled={busy} onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}
