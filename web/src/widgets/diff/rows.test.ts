import { changeCounts, foldRows, inlineRows, isSameInline, isSameSplit, splitRows } from "./rows";

const lines = (count: number, prefix = "line") =>
  Array.from({ length: count }, (_, i) => `${prefix} ${i + 1}`).join("\n") + "\n";

describe("inlineRows", () => {
  it.each([
    ["equal texts", "a\nb\n", "a\nb\n", ["=a 1/1", "=b 2/2"]],
    ["a missing final newline is no difference", "a\nb", "a\nb\n", ["=a 1/1", "=b 2/2"]],
    ["an added line", "a\n", "a\nb\n", ["=a 1/1", "+b -/2"]],
    ["a removed line", "a\nb\n", "b\n", ["-a 1/-", "=b 2/1"]],
    ["a changed line", "replicas: 1\n", "replicas: 3\n", ["-replicas: 1 1/-", "+replicas: 3 -/1"]],
    ["both empty", "", "", []],
  ])("%s", (_, left, right, expected) => {
    const shown = inlineRows(left, right).map((row) => {
      const mark = row.kind === "same" ? "=" : row.kind === "added" ? "+" : "-";
      return `${mark}${row.text} ${row.oldNo ?? "-"}/${row.newNo ?? "-"}`;
    });
    expect(shown).toEqual(expected);
  });

  it("counts changes", () => {
    expect(changeCounts(inlineRows("a\nb\nc\n", "a\nx\ny\nc\n"))).toEqual({ added: 2, removed: 1 });
  });
});

describe("splitRows", () => {
  it.each([
    ["equal texts", "a\nb\n", "a\nb\n", ["1=a|1=a", "2=b|2=b"]],
    ["additions keep the left empty", "a\n", "a\nb\nc\n", ["1=a|1=a", "|2+b", "|3+c"]],
    ["removals keep the right empty", "a\nb\nc\n", "c\n", ["1-a|", "2-b|", "3=c|1=c"]],
    [
      "a change pairs removed with added, the rest alone",
      "x: 1\ny: 2\nz\n",
      "x: 9\nz\n",
      ["1-x: 1|1+x: 9", "2-y: 2|", "3=z|2=z"],
    ],
  ])("%s", (_, left, right, expected) => {
    const cell = (c?: { no: number; kind: string; text: string }) =>
      c ? `${c.no}${c.kind === "same" ? "=" : c.kind === "added" ? "+" : "-"}${c.text}` : "";
    expect(splitRows(left, right).map((row) => `${cell(row.left)}|${cell(row.right)}`)).toEqual(expected);
  });
});

describe("foldRows (compact)", () => {
  const shape = (segments: ReturnType<typeof foldRows<unknown>>) =>
    segments.map((s) => (s.type === "fold" ? `fold ${s.start}+${s.rows.length}` : `rows ${s.rows.length}`));

  it.each([
    // 20 equal lines: one fold of everything (no change to give context to).
    ["equal texts fold whole", lines(20), lines(20), ["fold 0+20"]],
    // A change at line 11 of 21: 10 equal lines each side, 3 of them kept as context.
    [
      "a change in the middle keeps 3 lines of context each side",
      lines(21),
      lines(21).replace("line 11\n", "line eleven\n"),
      ["fold 0+7", "rows 8", "fold 15+7"],
    ],
    ["short unchanged runs are not folded", lines(5), lines(5).replace("line 3\n", "line three\n"), ["rows 6"]],
    [
      "a run between two changes keeps context on both sides",
      lines(30),
      lines(30).replace("line 1\n", "line one\n").replace("line 30\n", "line thirty\n"),
      ["rows 5", "fold 5+22", "rows 5"],
    ],
  ])("%s (inline)", (_, left, right, expected) => {
    expect(shape(foldRows(inlineRows(left, right), isSameInline))).toEqual(expected);
  });

  it("folds split rows the same way and keeps every row exactly once", () => {
    const rows = splitRows(lines(21), lines(21).replace("line 11\n", "line eleven\n"));
    const segments = foldRows(rows, isSameSplit);
    expect(shape(segments)).toEqual(["fold 0+7", "rows 7", "fold 14+7"]);
    expect(segments.flatMap((s) => s.rows)).toEqual(rows);
  });

  it("a run hiding fewer than minFold lines stays shown", () => {
    const rows = inlineRows(lines(9), lines(9).replace("line 9\n", "line nine\n"));
    // 8 unchanged before the change: 3 kept as context, 5 hidden >= 4.
    expect(shape(foldRows(rows, isSameInline))).toEqual(["fold 0+5", "rows 5"]);
    expect(shape(foldRows(rows, isSameInline, 3, 6))).toEqual(["rows 10"]);
  });
});
