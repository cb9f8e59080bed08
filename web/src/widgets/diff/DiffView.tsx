/**
 * A diff of two YAML texts (live → desired), side by side ("split": two columns with
 * aligned line numbers) or inline, optionally compact (unchanged runs folded behind a
 * "show N unchanged lines" button). Added and removed lines carry a visible +/− marker and
 * a screen-reader word, so the difference is never told by colour alone. Used by the
 * resource panel's diff tab and the PR preview page. Rows come from ./rows (pure).
 */
import { Fragment, useMemo, useState, type ReactNode } from "react";
import {
  changeCounts,
  foldRows,
  inlineRows,
  isSameInline,
  isSameSplit,
  splitRows,
  type Cell,
  type InlineRow,
  type LineKind,
  type Segment,
  type SplitRow,
} from "./rows";
import "./DiffView.css";

export type DiffMode = "split" | "inline";

export interface DiffViewProps {
  /** What is there now (the live manifest, normalized). */
  left: string;
  /** What would be there (the desired manifest). */
  right: string;
  mode?: DiffMode;
  compact?: boolean;
  /** Accessible name of the diff region, e.g. "Diff of Deployment web". */
  label: string;
  /** Column titles of the left and right texts; "Live" and "Desired" unless given. */
  titles?: [string, string];
}

const MARK: Record<LineKind, { sign: string; said: string }> = {
  same: { sign: " ", said: "" },
  added: { sign: "+", said: "added: " },
  removed: { sign: "−", said: "removed: " },
};

function Marker({ kind }: { kind: LineKind }) {
  const mark = MARK[kind];
  return (
    <>
      <span className="diff-sign" aria-hidden="true">
        {mark.sign}
      </span>
      {mark.said && <span className="sr-only">{mark.said}</span>}
    </>
  );
}

function splitCells(cell: Cell | undefined, side: "left" | "right") {
  if (!cell) {
    return (
      <>
        <td className="diff-no diff-empty" />
        <td className={`diff-text diff-empty diff-${side}`} />
      </>
    );
  }
  return (
    <>
      <td className={`diff-no diff-${cell.kind}`}>{cell.no}</td>
      <td className={`diff-text diff-${cell.kind} diff-${side}`}>
        <Marker kind={cell.kind} />
        {cell.text}
      </td>
    </>
  );
}

function SplitLine({ row }: { row: SplitRow }) {
  return (
    <tr>
      {splitCells(row.left, "left")}
      {splitCells(row.right, "right")}
    </tr>
  );
}

function InlineLine({ row }: { row: InlineRow }) {
  return (
    <tr>
      <td className={`diff-no diff-${row.kind}`}>{row.oldNo ?? ""}</td>
      <td className={`diff-no diff-${row.kind}`}>{row.newNo ?? ""}</td>
      <td className={`diff-text diff-${row.kind}`}>
        <Marker kind={row.kind} />
        {row.text}
      </td>
    </tr>
  );
}

function Segments<T>({
  segments,
  columns,
  line,
}: {
  segments: Segment<T>[];
  columns: number;
  line: (row: T, key: number) => ReactNode;
}) {
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());
  return (
    <>
      {segments.map((segment, index) => {
        if (segment.type === "rows" || open.has(segment.start)) {
          return <Fragment key={index}>{segment.rows.map((row, i) => line(row, i))}</Fragment>;
        }
        const count = segment.rows.length;
        return (
          <tr key={index} className="diff-fold">
            <td colSpan={columns}>
              <button type="button" onClick={() => setOpen(new Set([...open, segment.start]))}>
                show {count} unchanged {count === 1 ? "line" : "lines"}
              </button>
            </td>
          </tr>
        );
      })}
    </>
  );
}

export function DiffView({ left, right, mode = "split", compact = false, label, titles = ["Live", "Desired"] }: DiffViewProps) {
  const inline = useMemo(() => inlineRows(left, right), [left, right]);
  const split = useMemo(() => (mode === "split" ? splitRows(left, right) : []), [left, right, mode]);
  const counts = changeCounts(inline);
  const summary =
    counts.added + counts.removed === 0
      ? "No differences"
      : `${counts.removed} ${counts.removed === 1 ? "line" : "lines"} removed, ${counts.added} added`;
  // A new text or mode starts with every fold closed again.
  const key = `${mode}:${compact}:${left.length}:${right.length}`;
  return (
    <section role="region" aria-label={label} className={`diff diff-mode-${mode}`}>
      <p className="diff-summary">{summary}</p>
      <div className="diff-scroll">
        <table className="diff-table">
          <caption className="sr-only">{label}</caption>
          {mode === "split" ? (
            <>
              <thead>
                <tr>
                  <th scope="col" className="diff-no">
                    <span className="sr-only">Line</span>
                  </th>
                  <th scope="col">{titles[0]}</th>
                  <th scope="col" className="diff-no">
                    <span className="sr-only">Line</span>
                  </th>
                  <th scope="col">{titles[1]}</th>
                </tr>
              </thead>
              <tbody key={key}>
                <Segments
                  segments={compact ? foldRows(split, isSameSplit) : [{ type: "rows", rows: split }]}
                  columns={4}
                  line={(row, i) => <SplitLine key={i} row={row} />}
                />
              </tbody>
            </>
          ) : (
            <>
              <thead>
                <tr>
                  <th scope="col" className="diff-no">
                    {titles[0]}
                  </th>
                  <th scope="col" className="diff-no">
                    {titles[1]}
                  </th>
                  <th scope="col">
                    <span className="sr-only">Line</span>
                  </th>
                </tr>
              </thead>
              <tbody key={key}>
                <Segments
                  segments={compact ? foldRows(inline, isSameInline) : [{ type: "rows", rows: inline }]}
                  columns={3}
                  line={(row, i) => <InlineLine key={i} row={row} />}
                />
              </tbody>
            </>
          )}
        </table>
      </div>
    </section>
  );
}
