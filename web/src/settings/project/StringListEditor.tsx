/**
 * A list of strings edited in place (source repositories, a role's groups…): each entry with
 * a remove button named after it, and an input that adds one on Enter or "Add".
 */
import { useId, useState } from "react";

export function StringListEditor({
  label,
  values,
  onChange,
  placeholder,
  noun,
}: {
  /** Heading and accessible name, e.g. "Source repositories". */
  label: string;
  values: string[];
  onChange: (values: string[]) => void;
  placeholder?: string;
  /** The item's name in button labels, e.g. "source repository". */
  noun: string;
}) {
  const [text, setText] = useState("");
  const id = useId();
  const add = () => {
    const value = text.trim();
    if (!value || values.includes(value)) return;
    onChange([...values, value]);
    setText("");
  };
  return (
    <fieldset className="list-editor">
      <legend>{label}</legend>
      {values.length === 0 ? (
        <p className="settings-empty">None.</p>
      ) : (
        <ul className="list-editor-items">
          {values.map((value) => (
            <li key={value}>
              <code>{value}</code>
              <button type="button" aria-label={`Remove ${noun} ${value}`} onClick={() => onChange(values.filter((v) => v !== value))}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="list-editor-add">
        <label htmlFor={id} className="sr-only">
          {`New ${noun}`}
        </label>
        <input
          id={id}
          value={text}
          placeholder={placeholder}
          onChange={(event) => setText(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === "Enter") {
              event.preventDefault();
              add();
            }
          }}
        />
        <button type="button" onClick={add} disabled={!text.trim()}>
          {`Add ${noun}`}
        </button>
      </div>
    </fieldset>
  );
}
