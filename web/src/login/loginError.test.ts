import { ApiError } from "../api/client";
import { loginError, ssoName } from "./LoginPage";

describe("login messages", () => {
  it.each([
    ["the API's message for bad credentials", new ApiError(401, "Invalid username or password"), 1, "Invalid username or password"],
    ["a throttle hint after repeated failures", new ApiError(401, "Invalid username or password"), 5, "refuses logins for this user for a few minutes"],
    ["429 says to wait", new ApiError(429, "too many requests"), 1, "wait a moment"],
    ["network failure as it is", new TypeError("Failed to fetch"), 1, "Failed to fetch"],
  ])("%s", (_name, error, failures, expected) => {
    expect(loginError(error, failures)).toContain(expected);
  });

  it.each([
    [{}, null],
    [{ oidcConfig: { name: "Okta" } }, "Okta"],
    [{ dexConfig: { connectors: [{ name: "GitHub" }] } }, "SSO"],
    [{ dexConfig: { connectors: [] } }, null],
  ])("SSO button for %j", (settings, expected) => {
    expect(ssoName(settings)).toBe(expected);
  });
});
