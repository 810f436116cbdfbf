/**
 * Which asset file a request path stands for, or where to redirect it, as
 * Workers Static Assets decides (its `html_handling` and `not_found_handling`,
 * read from Cloudflare's docs and checked against miniflare's asset worker by
 * the host tests). Pure: the files are a lookup the caller gives.
 *
 * Each mode is a list of branches, tried on the path's ending; the first
 * branch that matches runs its steps, then the mode's tail runs. A step
 * serves a file, or redirects to a canonical path when that path would serve
 * the very same file (so a redirect never changes what is served).
 */
import type { AssetOptions } from "../../shared/schema/index.js";

/** What a path resolves to: a file served with a status, or a redirect to another path (decoded). */
export type Intent = { serve: string; status: 200 | 404 } | { redirect: string };

/** path → the file's sha256, or undefined. */
export type Lookup = (path: string) => string | undefined;

type PathFn = (p: string) => string;
type Step = { serve: PathFn } | { file: PathFn; to: PathFn };
type Branch = { when: (p: string) => boolean; steps: Step[] };

const cut = (n: number) => (p: string) => p.slice(0, -n);
const serve = (f: PathFn): Step => ({ serve: f });
const redirect = (file: PathFn, to: PathFn): Step => ({ file, to });
const ends = (s: string) => (p: string) => p.endsWith(s);
const is = (s: string) => (p: string) => p === s;
const self: PathFn = (p) => p;
const plus =
  (s: string, f: PathFn = self) =>
  (p: string) =>
    f(p) + s;

const MODES: Record<AssetOptions["htmlHandling"], { branches: Branch[]; tail: Step[] }> = {
  "auto-trailing-slash": {
    branches: [
      {
        when: ends("/index"),
        steps: [serve(self), redirect(plus(".html"), cut(5)), redirect(plus(".html", cut(6)), cut(6))],
      },
      { when: ends("/index.html"), steps: [redirect(self, cut(10)), redirect(plus(".html", cut(11)), cut(11))] },
      { when: ends("/"), steps: [serve(plus("index.html")), redirect(plus(".html", cut(1)), cut(1))] },
      {
        when: ends(".html"),
        steps: [redirect(self, cut(5)), redirect(plus("/index.html", cut(5)), plus("/", cut(5)))],
      },
    ],
    tail: [serve(self), serve(plus(".html")), redirect(plus("/index.html"), plus("/"))],
  },
  "force-trailing-slash": {
    branches: [
      {
        when: ends("/index"),
        steps: [serve(self), redirect(plus(".html"), cut(5)), redirect(plus(".html", cut(6)), cut(5))],
      },
      { when: ends("/index.html"), steps: [redirect(self, cut(10)), redirect(plus(".html", cut(11)), cut(10))] },
      { when: ends("/"), steps: [serve(plus("index.html")), serve(plus(".html", cut(1)))] },
      {
        when: ends(".html"),
        steps: [
          redirect(self, plus("/", cut(5))),
          serve(self),
          redirect(plus("/index.html", cut(5)), plus("/", cut(5))),
        ],
      },
    ],
    tail: [serve(self), redirect(plus(".html"), plus("/")), redirect(plus("/index.html"), plus("/"))],
  },
  "drop-trailing-slash": {
    branches: [
      {
        when: is("/index"),
        steps: [
          serve(self),
          redirect(
            () => "/index.html",
            () => "/",
          ),
        ],
      },
      {
        when: ends("/index"),
        steps: [serve(self), redirect(plus(".html", cut(6)), cut(6)), redirect(plus(".html"), cut(6))],
      },
      { when: is("/index.html"), steps: [redirect(self, () => "/")] },
      {
        when: ends("/index.html"),
        steps: [redirect(self, cut(11)), serve(self), redirect(plus(".html", cut(11)), cut(11))],
      },
      { when: is("/"), steps: [serve(() => "/index.html")] },
      {
        when: ends("/"),
        steps: [redirect(plus(".html", cut(1)), cut(1)), redirect(plus("/index.html", cut(1)), cut(1))],
      },
      { when: ends(".html"), steps: [redirect(self, cut(5)), redirect(plus("/index.html", cut(5)), cut(5))] },
    ],
    tail: [serve(self), serve(plus(".html")), serve(plus("/index.html"))],
  },
  none: { branches: [], tail: [serve(self)] },
};

type Options = Pick<AssetOptions, "htmlHandling" | "notFoundHandling">;

/** What `path` (decoded) resolves to under these options; null: no asset (the app's code may answer). */
export function assetIntent(path: string, options: Options, lookup: Lookup): Intent | null {
  return resolve(path, options, lookup, false);
}

function resolve(path: string, options: Options, lookup: Lookup, noRedirects: boolean): Intent | null {
  const mode = MODES[options.htmlHandling];
  const branch = mode.branches.find((b) => b.when(path));
  for (const step of [...(branch?.steps ?? []), ...mode.tail]) {
    const got = run(step, path, options, lookup, noRedirects);
    if (got) return got;
  }
  return notFound(path, options, lookup);
}

function run(step: Step, path: string, options: Options, lookup: Lookup, noRedirects: boolean): Intent | null {
  if ("serve" in step) {
    const file = step.serve(path);
    return lookup(file) !== undefined ? { serve: file, status: 200 } : null;
  }
  if (noRedirects) return null;
  const to = step.to(path);
  if (lookup(to) !== undefined) return null;
  // Redirect only when the canonical path would serve this same content.
  const there = resolve(to, options, lookup, true);
  const sha = lookup(step.file(path));
  return there && "serve" in there && sha !== undefined && lookup(there.serve) === sha ? { redirect: to } : null;
}

function notFound(path: string, options: Options, lookup: Lookup): Intent | null {
  if (options.notFoundHandling === "single-page-application") {
    return lookup("/index.html") !== undefined ? { serve: "/index.html", status: 200 } : null;
  }
  if (options.notFoundHandling === "404-page") {
    // The nearest 404.html, from the path's own folder up to the root.
    for (let dir = path; dir; ) {
      dir = dir.slice(0, dir.lastIndexOf("/"));
      if (lookup(`${dir}/404.html`) !== undefined) return { serve: `${dir}/404.html`, status: 404 };
    }
  }
  return null;
}

/** A URL path decoded segment by segment (a segment that is no valid encoding stays as it is), runs of '/' made one. */
export function decodePath(pathname: string): string {
  return pathname
    .split("/")
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    })
    .join("/")
    .replace(/\/+/g, "/");
}

export function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

/** Whether `run_worker_first` patterns send this (raw) path to assets, to the app's code, or neither. */
export function staticRoute(pathname: string, patterns: string[]): "assets" | "worker" | null {
  const match = (p: string) => globRe(p).test(pathname);
  if (patterns.some((p) => p.startsWith("!") && match(p.slice(1)))) return "assets";
  if (patterns.some((p) => !p.startsWith("!") && match(p))) return "worker";
  return null;
}

const globs = new Map<string, RegExp>();
function globRe(glob: string): RegExp {
  let re = globs.get(glob);
  if (!re) {
    re = new RegExp(`^${glob.split("*").map(escapeRe).join(".*")}$`);
    if (globs.size > 1000) globs.clear();
    globs.set(glob, re);
  }
  return re;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The date from which a navigation request (Sec-Fetch-Mode: navigate) gets not_found_handling before the code. */
const NAVIGATION_DATE = "2025-04-01";

/** Whether the version's compatibility settings make navigations prefer assets (Cloudflare's flag pair). */
export function navigationPrefersAssets(compatibilityDate: string, flags: string[]): boolean {
  if (flags.includes("assets_navigation_has_no_effect")) return false;
  return flags.includes("assets_navigation_prefers_asset_serving") || compatibilityDate >= NAVIGATION_DATE;
}
