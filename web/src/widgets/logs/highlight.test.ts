import { countMatches, highlightParts } from "./highlight";

describe("highlightParts", () => {
  it.each([
    ["no search", "GET /health 200", "", [["GET /health 200", false]]],
    ["one match", "GET /health 200", "health", [["GET /", false], ["health", true], [" 200", false]]],
    ["case-insensitive, original case kept", "Error: ERROR", "error", [["Error", true], [": ", false], ["ERROR", true]]],
    ["no match", "ok", "fail", [["ok", false]]],
    ["whole line", "abc", "abc", [["abc", true]]],
  ])("%s", (_, line, search, parts) => {
    expect(highlightParts(line, search).map((p) => [p.text, p.match])).toEqual(parts);
  });

  it("counts matches across lines", () => {
    expect(countMatches(["a error", "error error", "fine"], "ERROR")).toBe(3);
    expect(countMatches(["x"], "")).toBe(0);
  });
});
