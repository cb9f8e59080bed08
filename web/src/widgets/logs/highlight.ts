/** Search in log lines: the parts of a line, marking each case-insensitive match (pure). */
export interface Part {
  text: string;
  match: boolean;
}

export function highlightParts(line: string, search: string): Part[] {
  if (!search) return [{ text: line, match: false }];
  const parts: Part[] = [];
  const haystack = line.toLowerCase();
  const needle = search.toLowerCase();
  let from = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, from)) {
    if (at > from) parts.push({ text: line.slice(from, at), match: false });
    parts.push({ text: line.slice(at, at + needle.length), match: true });
    from = at + needle.length;
  }
  if (from < line.length) parts.push({ text: line.slice(from), match: false });
  return parts;
}

export function countMatches(lines: string[], search: string): number {
  if (!search) return 0;
  return lines.reduce((sum, line) => sum + highlightParts(line, search).filter((p) => p.match).length, 0);
}
