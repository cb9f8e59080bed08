import { matchesSelector, parseSelector } from "./selector";

const labels = { team: "a", env: "prod", "app.kubernetes.io/name": "web" };

describe("label selectors", () => {
  it.each([
    ["", true],
    ["team=a", true],
    ["team==a", true],
    ["team=b", false],
    ["team!=b", true],
    ["missing!=x", true],
    ["env in (dev, prod)", true],
    ["env notin (prod)", false],
    ["app.kubernetes.io/name", true],
    ["!env", false],
    ["!missing", true],
    ["team=a, env=dev", false],
  ])("%s -> %s", (text, expected) => {
    const parsed = parseSelector(text);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(matchesSelector(parsed.requirements, labels)).toBe(expected);
  });

  it.each(["a b", "=x", "!"])("refuses %j with a message", (text) => {
    const parsed = parseSelector(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toContain("invalid label selector");
  });
});
