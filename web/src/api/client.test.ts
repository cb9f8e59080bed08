import { apiUrl } from "./client";

describe("apiUrl", () => {
  it.each([
    ["applications", {}, "api/v1/applications"],
    ["/applications", { name: "a b" }, "api/v1/applications?name=a+b"],
    ["applications", { projects: ["p1", "p2"], selector: undefined }, "api/v1/applications?projects=p1&projects=p2"],
    ["applications/x", { refresh: "hard", cascade: false }, "api/v1/applications/x?refresh=hard&cascade=false"],
  ])("%s %j", (path, query, expected) => {
    expect(apiUrl(path, query)).toBe(expected);
  });
});
