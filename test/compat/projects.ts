/**
 * The compatibility suite's Workers projects (test/compat/projects/<name>/:
 * a wrangler.jsonc, src/ and its modules, as an agent writes them), and the
 * assertions each must pass on plain workerd configured from that same
 * file (projects.test.ts) and through a real `pulumi up` of
 * `new App({ platform, source: folder })` on the local target
 * (test/e2e/compat-projects.test.ts).
 */
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "jsonc-parser";
import { expect } from "vitest";

export const PROJECTS_DIR = join(import.meta.dirname, "projects");

/** What a side gives the assertions: requests to the app, and a run of its scheduled handler. */
export interface ProjectSide {
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Runs the app's scheduled handler with this cron and time; resolves whether it succeeded. */
  scheduled(cron: string, scheduledTime: number): Promise<boolean>;
}

export interface WranglerJsonc {
  name: string;
  main: string;
  compatibility_date: string;
  compatibility_flags?: string[];
  vars?: Record<string, string>;
  durable_objects?: { bindings: { name: string; class_name: string }[] };
  triggers?: { crons: string[] };
  rules?: { type: string; globs: string[]; fallthrough?: boolean }[];
}

export function readProject(name: string): WranglerJsonc {
  return parse(readFileSync(join(PROJECTS_DIR, name, "wrangler.jsonc"), "utf8")) as WranglerJsonc;
}

const json = async <T = unknown>(r: Promise<Response>) => (await (await r).json()) as T;

export const PROJECT_CHECKS: Record<string, (side: ProjectSide) => Promise<void>> = {
  async counter(side) {
    expect(await (await side.fetch("/?name=a")).text()).toBe("1");
    expect(await (await side.fetch("/?name=a")).text()).toBe("2");
    expect(await (await side.fetch("/?name=b")).text()).toBe("1");
  },

  async "wasm-calc"(side) {
    expect(await json(side.fetch("/add?a=40&b=2"))).toEqual({ sum: 42, unit: "apples", isModule: true });
    expect(await (await side.fetch("/")).text()).toBe(
      readFileSync(join(PROJECTS_DIR, "wasm-calc", "src", "usage.txt"), "utf8"),
    );
  },

  async nightly(side) {
    const [cron, weekday] = readProject("nightly").triggers!.crons;
    expect(await json(side.fetch("/"))).toEqual([]);
    const at = Date.UTC(2026, 11, 4, 3, 0);
    expect(await side.scheduled(cron!, at)).toBe(true);
    expect(await side.scheduled(weekday!, at + 1000)).toBe(true);
    expect(await json(side.fetch("/"))).toEqual([
      { cron, scheduledTime: at },
      { cron: weekday, scheduledTime: at + 1000 },
    ]);
    expect(await side.scheduled("0 0 1 1 *", at)).toBe(false);
    expect(await json(side.fetch("/"))).toHaveLength(2);
  },

  async blob(side) {
    const bytes = readFileSync(join(PROJECTS_DIR, "blob", "src", "logo.bin"));
    expect(await json(side.fetch("/"))).toEqual({
      isArrayBuffer: true,
      bytes: bytes.byteLength,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      readme: "# blob",
    });
    expect(Buffer.from(await (await side.fetch("/logo.bin")).arrayBuffer()).equals(bytes)).toBe(true);
  },
};

/** Every project folder; each has its checks (a folder without them fails the suite). */
export function projectNames(): string[] {
  return readdirSync(PROJECTS_DIR).sort();
}
