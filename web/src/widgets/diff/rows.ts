/**
 * The rows a diff shows, computed from two texts (pure; DiffView renders them).
 *
 * - `inlineRows`: one row per line, in order: unchanged lines carry both line numbers,
 *   removed lines the left one, added lines the right one.
 * - `splitRows`: two aligned columns; a removed run followed by an added run is paired
 *   line by line (a "changed" row), the longer run's rest has an empty cell opposite.
 * - `foldRows`: compact mode. Unchanged runs keep `context` lines next to each change;
 *   the rest of a run becomes one fold when it hides at least `minFold` lines (folding
 *   fewer would save no space and cost a click).
 */
import { diffLines } from "diff";

export type LineKind = "same" | "added" | "removed";

export interface InlineRow {
  kind: LineKind;
  text: string;
  /** Line number on the left (live) side; absent for added lines. */
  oldNo?: number;
  /** Line number on the right (desired) side; absent for removed lines. */
  newNo?: number;
}

export interface Cell {
  no: number;
  text: string;
  kind: LineKind;
}

export interface SplitRow {
  left?: Cell;
  right?: Cell;
}

export type Segment<T> =
  | { type: "rows"; rows: T[] }
  /** `start` is the index of the first hidden row: a stable id for expanding it. */
  | { type: "fold"; start: number; rows: T[] };

export const DEFAULT_CONTEXT = 3;
export const DEFAULT_MIN_FOLD = 4;

function linesOf(value: string): string[] {
  const lines = value.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** Both texts end with a newline, so a missing final newline is no difference. */
function terminated(text: string): string {
  return text === "" || text.endsWith("\n") ? text : `${text}\n`;
}

export function inlineRows(left: string, right: string): InlineRow[] {
  const rows: InlineRow[] = [];
  let oldNo = 1;
  let newNo = 1;
  for (const part of diffLines(terminated(left), terminated(right))) {
    for (const text of linesOf(part.value)) {
      if (part.added) rows.push({ kind: "added", text, newNo: newNo++ });
      else if (part.removed) rows.push({ kind: "removed", text, oldNo: oldNo++ });
      else rows.push({ kind: "same", text, oldNo: oldNo++, newNo: newNo++ });
    }
  }
  return rows;
}

export function splitRows(left: string, right: string): SplitRow[] {
  const inline = inlineRows(left, right);
  const rows: SplitRow[] = [];
  let index = 0;
  while (index < inline.length) {
    const row = inline[index];
    if (row.kind === "same") {
      rows.push({
        left: { no: row.oldNo!, text: row.text, kind: "same" },
        right: { no: row.newNo!, text: row.text, kind: "same" },
      });
      index++;
      continue;
    }
    const removed: InlineRow[] = [];
    const added: InlineRow[] = [];
    while (index < inline.length && inline[index].kind === "removed") removed.push(inline[index++]);
    while (index < inline.length && inline[index].kind === "added") added.push(inline[index++]);
    for (let i = 0; i < Math.max(removed.length, added.length); i++) {
      const gone = removed[i];
      const come = added[i];
      rows.push({
        left: gone && { no: gone.oldNo!, text: gone.text, kind: "removed" },
        right: come && { no: come.newNo!, text: come.text, kind: "added" },
      });
    }
  }
  return rows;
}

export function isSameInline(row: InlineRow): boolean {
  return row.kind === "same";
}

export function isSameSplit(row: SplitRow): boolean {
  return row.left?.kind === "same";
}

export function foldRows<T>(
  rows: T[],
  isSame: (row: T) => boolean,
  context = DEFAULT_CONTEXT,
  minFold = DEFAULT_MIN_FOLD,
): Segment<T>[] {
  const segments: Segment<T>[] = [];
  let shown: T[] = [];
  const flush = () => {
    if (shown.length) segments.push({ type: "rows", rows: shown });
    shown = [];
  };
  let index = 0;
  while (index < rows.length) {
    if (!isSame(rows[index])) {
      shown.push(rows[index++]);
      continue;
    }
    const start = index;
    while (index < rows.length && isSame(rows[index])) index++;
    const keepBefore = start === 0 ? 0 : context; // context after the previous change
    const keepAfter = index === rows.length ? 0 : context; // context before the next change
    const hidden = index - start - keepBefore - keepAfter;
    if (hidden < minFold) {
      shown.push(...rows.slice(start, index));
      continue;
    }
    shown.push(...rows.slice(start, start + keepBefore));
    flush();
    const foldStart = start + keepBefore;
    segments.push({ type: "fold", start: foldStart, rows: rows.slice(foldStart, foldStart + hidden) });
    shown.push(...rows.slice(foldStart + hidden, index));
  }
  flush();
  return segments;
}

/** How many lines differ: what a heading or a screen reader summary says. */
export function changeCounts(rows: InlineRow[]): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const row of rows) {
    if (row.kind === "added") added++;
    else if (row.kind === "removed") removed++;
  }
  return { added, removed };
}
