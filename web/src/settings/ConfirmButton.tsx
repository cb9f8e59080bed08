/**
 * A destructive action in two steps (no browser dialog): the first press asks, the second
 * does it; Escape or "Cancel" backs out. The accessible names say what would be removed.
 */
import { useState } from "react";

export function ConfirmButton({
  label,
  confirmLabel,
  onConfirm,
  disabled,
}: {
  /** e.g. "Delete repository https://…" */
  label: string;
  confirmLabel: string;
  onConfirm: () => void;
  disabled?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" className="danger" aria-label={label} disabled={disabled} onClick={() => setAsking(true)}>
        Delete
      </button>
    );
  }
  return (
    <span role="group" aria-label={`Confirm: ${label}`} onKeyDown={(event) => event.key === "Escape" && setAsking(false)}>
      <button
        type="button"
        className="danger"
        autoFocus
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirmLabel}
      </button>{" "}
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
