// The egress rule alone: every bypass the adversarial suite tries, decided here first.
import { describe, expect, it } from "vitest";
import { egressDecision } from "../../provider/shared/egress-rule.js";

const allow = ["api.example.com", "*.example.org"];

describe("egressDecision", () => {
  it.each([
    "https://api.example.com/v1",
    "https://API.Example.COM/",
    "https://api.example.com./x",
    "https://api.example.com:443/",
    "https://a.example.org/",
    "https://deep.a.example.org/",
  ])("allows %s", (url) => {
    expect(egressDecision(url, allow).allowed).toBe(true);
  });

  it.each([
    ["http://api.example.com/", /only https/],
    ["https://api.example.com:8443/", /default port/],
    ["https://api.example.com@evil.com/", /not on the app's outbound allow-list|user info/],
    ["https://user:pw@api.example.com/", /user info/],
    ["https://evil.com/", /not on the app's outbound allow-list/],
    ["https://api.example.com.evil.com/", /not on the app's outbound allow-list/],
    ["https://evilapi.example.com/", /not on the app's outbound allow-list/],
    ["https://example.org/", /not on the app's outbound allow-list/],
    ["https://badexample.org/", /not on the app's outbound allow-list/],
    ["https://127.0.0.1/", /IP addresses/],
    ["https://2130706433/", /IP addresses/],
    ["https://0x7f.1/", /IP addresses/],
    ["https://[::1]/", /IP addresses/],
    ["https://[::ffff:127.0.0.1]/", /IP addresses/],
    ["wss://api.example.com/", /only https/],
    ["not a url", /not a valid URL/],
  ])("refuses %s", (url, reason) => {
    const d = egressDecision(url, allow);
    expect(d.allowed).toBe(false);
    expect(d.allowed ? "" : d.reason).toMatch(reason);
  });

  it("refuses everything with an empty allow-list", () => {
    expect(egressDecision("https://api.example.com/", []).allowed).toBe(false);
  });
});
