// The local target runs the workerd this package depends on, not the older
// one miniflare asks for (see useOwnWorkerd): a project that installs us gets
// no npm `overrides` of ours.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { useOwnWorkerd } from "../../provider/local/runtime.js";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  dependencies: Record<string, string>;
};

describe("the local target's workerd", () => {
  const before = process.env.MINIFLARE_WORKERD_PATH;
  afterEach(() => {
    if (before === undefined) delete process.env.MINIFLARE_WORKERD_PATH;
    else process.env.MINIFLARE_WORKERD_PATH = before;
  });

  it("is the binary of our own workerd dependency, whose date it prints", () => {
    delete process.env.MINIFLARE_WORKERD_PATH;
    useOwnWorkerd();
    const path = process.env.MINIFLARE_WORKERD_PATH!;
    // 1.20261117.1 -> "workerd 2026-11-17"
    const [, date] = /^1\.(\d{8})\.\d+$/.exec(pkg.dependencies.workerd!)!;
    const expected = `${date!.slice(0, 4)}-${date!.slice(4, 6)}-${date!.slice(6)}`;
    expect(execFileSync(path, ["--version"], { encoding: "utf8" }).trim()).toBe(`workerd ${expected}`);
  });

  it("leaves a binary the caller chose", () => {
    process.env.MINIFLARE_WORKERD_PATH = "/somewhere/workerd";
    useOwnWorkerd();
    expect(process.env.MINIFLARE_WORKERD_PATH).toBe("/somewhere/workerd");
  });
});
