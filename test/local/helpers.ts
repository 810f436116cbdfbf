/**
 * Starts local targets for contract tests and talks to them the way the
 * Platform will: the official `cloudflare` SDK with its baseURL pointed at
 * the target. Every request the SDK sends is recorded, so tests can check
 * the shapes on the wire.
 */
import http from "node:http";
import Cloudflare from "cloudflare";
import { startLocalTarget, type LocalTarget } from "../../provider/local/index.js";
import { buildUploadForm, UPLOAD_REQUEST_OPTIONS, type UploadModule } from "../../provider/cloudflare/upload-form.js";
import { MODULE_CONTENT_TYPES, type ScriptMetadata } from "../../provider/cloudflare/metadata.js";
import {
  HOST_COMPATIBILITY_DATE,
  HOST_COMPATIBILITY_FLAGS,
  HOST_DURABLE_OBJECTS,
  hostBundle,
} from "../../provider/cloudflare/host-script.js";
import { tempDir } from "../helpers/host.js";

export const ACCOUNT = "local-account";
export const API_TOKEN = "local-test-token";

export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  contentType: string | null;
  authorization: string | null;
  /** For multipart bodies: each part's field name, filename and type. */
  parts?: { field: string; filename: string | null; type: string | null }[];
}

export interface Started {
  target: LocalTarget;
  cf: Cloudflare;
  requests: RecordedRequest[];
  logs: string[];
  state: string;
  stop(): Promise<void>;
}

/** Starts a target on a free port; pass `state` to reuse a folder (removed only if created here). */
export async function startTarget(
  opts: { state?: string; quiet?: boolean; maxWorkerdRssMb?: number } = {},
): Promise<Started> {
  const dir = opts.state ? null : tempDir("dw-local-");
  const state = opts.state ?? dir!.path;
  const logs: string[] = [];
  const target = await startLocalTarget({
    port: 0,
    state,
    quiet: opts.quiet ?? false,
    log: (l) => logs.push(l),
    ...(opts.maxWorkerdRssMb !== undefined ? { maxWorkerdRssMb: opts.maxWorkerdRssMb } : {}),
  });
  const requests: RecordedRequest[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const req = new Request(input as string | URL | Request, init);
    const url = new URL(req.url);
    const rec: RecordedRequest = {
      method: req.method,
      path: url.pathname,
      query: url.search,
      contentType: req.headers.get("content-type"),
      authorization: req.headers.get("authorization"),
    };
    if (rec.contentType?.startsWith("multipart/form-data")) rec.parts = multipartParts(await req.clone().text());
    requests.push(rec);
    return fetch(req);
  };
  const cf = new Cloudflare({ apiToken: API_TOKEN, baseURL: target.apiBaseUrl, maxRetries: 0, fetch: recordingFetch });
  return {
    target,
    cf,
    requests,
    logs,
    state,
    async stop() {
      await target.close();
      dir?.remove();
    },
  };
}

/** The Content-Disposition and Content-Type of each part of a multipart body. */
function multipartParts(body: string): NonNullable<RecordedRequest["parts"]> {
  const out: NonNullable<RecordedRequest["parts"]> = [];
  for (const m of body.matchAll(
    /Content-Disposition: form-data; name="([^"]*)"(?:; filename="([^"]*)")?\r\n(?:Content-Type: ([^\r\n]*)\r\n)?/gi,
  )) {
    out.push({ field: m[1]!, filename: m[2] ?? null, type: m[3] ?? null });
  }
  return out;
}

/** Uploads a script the way that works with SDK 7.3 (see provider/upload-form.ts). */
export function upload(cf: Cloudflare, name: string, metadata: ScriptMetadata, modules: UploadModule[]) {
  const form = buildUploadForm(metadata, modules);
  return cf.workers.scripts.update(
    name,
    // The SDK types metadata as an object and lack worker_loader: the File is what Cloudflare reads.
    { account_id: ACCOUNT, metadata: form.metadata as never, files: form.files },
    UPLOAD_REQUEST_OPTIONS as never,
  );
}

/**
 * The same SDK call with parts built by hand, skipping buildUploadForm's own
 * checks, to see what the target refuses.
 */
export function uploadUnchecked(cf: Cloudflare, name: string, metadata: unknown, modules: UploadModule[]) {
  const files = modules.map((m) => new File([m.content as string], m.name, { type: MODULE_CONTENT_TYPES[m.kind] }));
  const meta = new File([JSON.stringify(metadata)], "metadata.json", { type: "application/json" });
  return cf.workers.scripts.update(
    name,
    { account_id: ACCOUNT, metadata: meta as never, files },
    UPLOAD_REQUEST_OPTIONS as never,
  );
}

/** A one-module ES module script. */
export function esm(source: string, name = "index.js"): UploadModule[] {
  return [{ name, kind: "esm", content: source }];
}

export const DATE = "2026-07-01";

/** Refusal of an SDK call: its HTTP status and Cloudflare's error codes and messages. */
export async function refusal(p: Promise<unknown>): Promise<{ status: number; codes: number[]; message: string }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof Cloudflare.APIError) {
      const errors = (e.errors ?? []) as { code: number; message: string }[];
      return {
        status: e.status as number,
        codes: errors.map((x) => x.code),
        message: errors.map((x) => x.message).join(" | "),
      };
    }
    throw e;
  }
  throw new Error("expected the call to be refused, but it succeeded");
}

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/**
 * An HTTP request to the target with a chosen Host header: *.localhost does
 * not resolve on every machine (browsers and curl map it to loopback; Node does not).
 */
export function hostRequest(
  target: LocalTarget,
  host: string,
  path = "/",
  init: { method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<HttpAnswer> {
  const base = new URL(target.url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: base.hostname,
        port: base.port,
        path,
        method: init.method ?? "GET",
        headers: { ...init.headers, host: `${host}:${base.port}` },
        agent: false,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on("error", reject);
    req.end(init.body);
  });
}

/** The control token of the host uploadHost() uploads. */
export const HOST_TOKEN = "local-control-token-0123456789abcdef";

/** The host Worker's upload, as the Platform makes it: appsDomain host.localhost, a 1 s version cache. */
function hostMetadata(migrate: boolean): ScriptMetadata {
  return {
    main_module: "host.js",
    compatibility_date: HOST_COMPATIBILITY_DATE,
    compatibility_flags: HOST_COMPATIBILITY_FLAGS,
    bindings: [
      { type: "worker_loader", name: "LOADER" },
      ...Object.entries(HOST_DURABLE_OBJECTS).map(([name, className]) => ({
        type: "durable_object_namespace" as const,
        name,
        class_name: className,
      })),
      { type: "secret_text", name: "CONTROL_TOKEN", text: HOST_TOKEN },
      { type: "json", name: "PLATFORM_CONFIG", json: { appsDomain: "host.localhost", cacheTtlSeconds: 1 } },
    ],
    ...(migrate
      ? { migrations: { new_tag: "v1", steps: [{ new_sqlite_classes: Object.values(HOST_DURABLE_OBJECTS) }] } }
      : {}),
  };
}

/** Uploads the real host Worker as script "host" (with its first migration when `migrate`). */
export const uploadHost = (t: Started, migrate: boolean) =>
  upload(t.cf, "host", hostMetadata(migrate), [{ name: "host.js", kind: "esm", content: hostBundle().code }]);
