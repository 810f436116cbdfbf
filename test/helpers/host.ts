/**
 * Starts the real host Worker on workerd through Miniflare, with the same
 * bindings the Platform uploads, and gives tests a control client and a way
 * to call apps. Each test file disposes what it starts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { expect } from "vitest";
import { ControlApiError, ControlClient } from "../../provider/control-client/client.js";
import { HOST_COMPATIBILITY_DATE, HOST_DURABLE_OBJECTS, hostBundle } from "../../provider/cloudflare/host-script.js";
import type { PlatformConfigInput } from "../../provider/shared/schema/index.js";

export const TOKEN = "test-control-token-0123456789abcdef";
/** The host's SECRETS_KEY in tests (the Platform makes a random one). */
export const SECRETS_KEY = "test-secrets-key-0123456789abcdef0123456789abcdef";

export interface HostOptions {
  config?: PlatformConfigInput;
  /** A folder for Durable Object storage; omitted: in memory. */
  persist?: string;
  /** The control token; null: none bound. */
  token?: string | null;
  /** The key of the secrets' digest; null: none bound (a host from before secrets keys). */
  secretsKey?: string | null;
  /** More string bindings (e.g. CONTROL_TOKEN_PREVIOUS). */
  bindings?: Record<string, string>;
}

export interface TestHost {
  mf: Miniflare;
  url: URL;
  control: ControlClient;
  /** GET (or any method) through the host, by full URL or path. */
  fetch(input: string, init?: RequestInit): Promise<Response>;
  dispose(): Promise<void>;
}

export async function startHost(opts: HostOptions = {}): Promise<TestHost> {
  return (await startHostIsolates(1, opts)).host;
}

/**
 * The host as `count` Workers, so `count` isolates: the first one ("host")
 * defines the Durable Objects, the others run the same bundle and bind its
 * namespaces, as isolates of one script on Cloudflare share one control plane.
 */
export async function startHostIsolates(
  count: number,
  opts: HostOptions = {},
): Promise<{ host: TestHost; isolates: ((path: string) => Promise<Response>)[] }> {
  const bundle = hostBundle();
  const bindings: Record<string, unknown> = { PLATFORM_CONFIG: opts.config ?? {}, ...opts.bindings };
  const token = opts.token === undefined ? TOKEN : opts.token;
  if (token !== null) bindings.CONTROL_TOKEN = token;
  const secretsKey = opts.secretsKey === undefined ? SECRETS_KEY : opts.secretsKey;
  if (secretsKey !== null) bindings.SECRETS_KEY = secretsKey;
  const worker = (i: number) => ({
    name: i === 0 ? "host" : `host-${i}`,
    modules: [{ type: "ESModule" as const, path: "host.js", contents: bundle.code }],
    compatibilityDate: HOST_COMPATIBILITY_DATE,
    workerLoaders: { LOADER: {} },
    durableObjects: Object.fromEntries(
      Object.entries(HOST_DURABLE_OBJECTS).map(([binding, className]) => [
        binding,
        { className, useSQLite: true, ...(i === 0 ? {} : { scriptName: "host" }) },
      ]),
    ),
    bindings: bindings as Record<string, string>,
  });
  const mf = new Miniflare({
    workers: Array.from({ length: count }, (_, i) => worker(i)),
    durableObjectsPersist: opts.persist ?? false,
    cf: { colo: "LOCAL", country: "XX" },
    host: "127.0.0.1",
    port: 0,
  });
  const url = await mf.ready;
  const doFetch = (input: string, init?: RequestInit) =>
    fetch(new URL(input, url), init) as unknown as Promise<Response>;
  const fetchers = await Promise.all(Array.from({ length: count }, (_, i) => mf.getWorker(worker(i).name)));
  return {
    host: {
      mf,
      url,
      control: new ControlClient({ url: url.toString(), token: token ?? "", secretsKey: secretsKey ?? undefined }),
      fetch: doFetch,
      dispose: () => mf.dispose(),
    },
    isolates: fetchers.map((f) => (path: string) => f.fetch(new URL(path, url).href) as unknown as Promise<Response>),
  };
}

/** The ControlApiError a call is refused with (failing the test when it is not refused). */
export async function refusal(p: Promise<unknown>): Promise<ControlApiError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ControlApiError);
  return e as ControlApiError;
}

/** A temporary folder removed by the returned function. */
export function tempDir(prefix = "dw-test-"): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A one-module app version. */
export function jsApp(source: string, extra: { durableObject?: string; env?: Record<string, string> } = {}) {
  return {
    mainModule: "index.js",
    modules: { "index.js": { type: "js" as const, content: source } },
    compatibilityDate: "2026-07-01",
    ...extra,
  };
}
