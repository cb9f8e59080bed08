/**
 * A YAML viewer/editor (CodeMirror 6): read-only unless `readOnly` is false, then every edit
 * is reported through `onChange`. The text is replaced when `value` changes from outside
 * (a reload), not while it is the text being edited. Colours come from the theme's CSS
 * variables (YamlEditor.css), so light and dark both read well; CodeMirror injects its own
 * style elements, which the server's CSP allows (inline styles, never inline scripts).
 */
import { useEffect, useRef } from "react";
import { basicSetup } from "codemirror";
import { yaml } from "@codemirror/lang-yaml";
import { HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { Compartment, EditorState } from "@codemirror/state";
import { EditorView } from "@codemirror/view";
import { tags } from "@lezer/highlight";
import "./YamlEditor.css";

export interface YamlEditorProps {
  value: string;
  readOnly?: boolean;
  onChange?: (text: string) => void;
  /** Accessible name of the editor, e.g. "Live manifest of Deployment web". */
  label: string;
}

const highlight = HighlightStyle.define([
  { tag: [tags.propertyName, tags.definition(tags.propertyName)], color: "var(--yaml-key)" },
  { tag: [tags.string, tags.special(tags.string)], color: "var(--yaml-string)" },
  { tag: [tags.number, tags.bool, tags.null, tags.atom], color: "var(--yaml-atom)" },
  { tag: [tags.comment, tags.lineComment], color: "var(--muted)", fontStyle: "italic" },
  { tag: [tags.meta, tags.punctuation, tags.separator], color: "var(--muted)" },
]);

function editable(readOnly: boolean) {
  return [EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)];
}

export function YamlEditor({ value, readOnly = true, onChange, label }: YamlEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const mode = useRef(new Compartment());
  const changed = useRef(onChange);
  changed.current = onChange;

  useEffect(() => {
    const created = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          basicSetup,
          yaml(),
          syntaxHighlighting(highlight),
          EditorView.lineWrapping,
          // Read-only content stays focusable, so keyboard users can scroll and select.
          EditorView.contentAttributes.of({ "aria-label": label, tabindex: "0" }),
          mode.current.of(editable(readOnly)),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) changed.current?.(update.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = created;
    return () => {
      created.destroy();
      view.current = null;
    };
    // The view is made once; value and readOnly changes are applied by the effects below.
  }, [label]);

  useEffect(() => {
    const current = view.current;
    if (current && current.state.doc.toString() !== value) {
      current.dispatch({ changes: { from: 0, to: current.state.doc.length, insert: value } });
    }
  }, [value]);

  useEffect(() => {
    view.current?.dispatch({ effects: mode.current.reconfigure(editable(readOnly)) });
  }, [readOnly]);

  return <div ref={host} className={`yaml-editor${readOnly ? " yaml-readonly" : " yaml-editing"}`} />;
}
