/**
 * control-client/: the Node side of the control API, calling through shared/control/routes.ts.
 *
 * A client of the host's control API (/_control/v1/), used by the App
 * resource, the CLI and the tests. It validates with the shared schemas
 * before sending, predicts version hashes locally, uploads only modules the
 * host lacks, and never puts the token in an error.
 */
import type { ControlErrorBody, ControlErrorCode } from "../shared/control/errors.js";
import type {
  AppAnswer,
  AppErrors,
  ScheduledRunAnswer,
  AppInfo,
  AppList,
  LogsAnswer,
  DeleteOutcome,
  DeployOutcome,
  RolloutOutcome,
  SourcesStored,
  UsageAnswer,
  VersionAnswer,
  VersionList,
  VersionSources,
  VersionStored,
} from "../shared/control/responses.js";
import type {
  PreviewDeleted,
  PreviewList,
  PreviewSlotAnswer,
  SeedOutcome,
} from "../shared/control/preview-responses.js";
import {
  CONTROL_API_PREFIX,
  CONTROL_ROUTES,
  routePath,
  type RouteAnswer,
  type RouteArgs,
  type RouteName,
} from "../shared/control/routes.js";
import { buildVersion, moduleBytes, sha256Hex, type VersionManifest } from "../shared/version-hash.js";
import { MODULE_CHUNK_BYTES } from "../shared/control/requests.js";
import {
  AppVersionSpec,
  describeIssues,
  formatIssues,
  type AppSettingsInput,
  type AppVersionSpecInput,
  type FieldIssue,
  type ModuleUpload,
  type VersionSourcesRequest,
} from "../shared/schema/index.js";

/** A refusal as the client sees it: the host's body, or a network failure. */
export interface ControlApiErrorBody {
  code: ControlErrorCode | "network";
  message?: string;
  issues?: FieldIssue[];
  [extra: string]: unknown;
}

export class ControlApiError extends Error {
  readonly status: number;
  readonly code: ControlErrorCode | "network";
  readonly issues: FieldIssue[];
  readonly body: ControlApiErrorBody;
  constructor(status: number, body: ControlApiErrorBody, what: string) {
    const issues = body.issues ?? [];
    super(
      `${what}: ${status} ${body.code}: ${body.message ?? ""}${issues.length ? ` (${describeIssues(issues)})` : ""}`,
    );
    this.name = "ControlApiError";
    this.status = status;
    this.code = body.code;
    this.issues = issues;
    this.body = body;
  }
}

/** A version prepared for upload: its manifest, predicted hash and module contents. */
export interface PreparedVersion {
  versionHash: string;
  manifest: VersionManifest;
  spec: AppVersionSpec;
}

/**
 * Validates a version and computes its hash as the host will (shared/version-hash.ts).
 * A version with secrets needs the platform's `secretsKey` (the Platform's output of that name).
 */
export async function prepareVersion(input: AppVersionSpecInput, secretsKey?: string): Promise<PreparedVersion> {
  const r = AppVersionSpec.safeParse(input);
  if (!r.success) throw new Error(`invalid app version: ${describeIssues(formatIssues(r.error))}`);
  const spec = r.data;
  if (Object.keys(spec.secrets).length > 0 && !secretsKey) {
    throw new Error(
      "invalid app version: secrets: give the platform's secretsKey, which the version hash digests them with",
    );
  }
  const { manifest, versionHash } = await buildVersion(spec, { requireContent: true, secretsKey });
  return { versionHash, manifest, spec };
}

export interface ControlClientOptions {
  /** The host's base URL, e.g. http://127.0.0.1:8787 (the client adds /_control/v1). */
  url: string;
  token: string;
  /** The platform's secrets key, for rollOut of a version with secrets. */
  secretsKey?: string;
  fetch?: typeof fetch;
  /**
   * Attempts after the first on network errors, 429 and 5xx, with
   * exponential backoff. Every call of this API is idempotent, so a retry
   * after a lost answer is safe. @default 0
   */
  retries?: number;
  /** The first backoff, doubled per attempt (Retry-After wins when given). @default 250 */
  backoffMs?: number;
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

export class ControlClient {
  private readonly base: string;
  private readonly token: string;
  private readonly secretsKey: string | undefined;
  private readonly doFetch: typeof fetch;
  private readonly retries: number;
  private readonly backoffMs: number;

  constructor(options: ControlClientOptions) {
    this.base = `${options.url.replace(/\/+$/, "")}${CONTROL_API_PREFIX}`;
    this.token = options.token;
    this.secretsKey = options.secretsKey;
    this.doFetch = options.fetch ?? fetch;
    this.retries = options.retries ?? 0;
    this.backoffMs = options.backoffMs ?? 250;
  }

  /** A call with retries; a refusal becomes a ControlApiError with the host's code and field issues. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.requestOnce<T>(method, path, body);
      } catch (e) {
        const retryable = e instanceof ControlApiError && (e.status === 0 || RETRYABLE_STATUS.has(e.status));
        if (!retryable || attempt >= this.retries) throw e;
        const after = Number((e as ControlApiError).body.retryAfterSeconds ?? NaN);
        const wait = Number.isFinite(after) ? after * 1000 : this.backoffMs * 2 ** attempt * (0.75 + Math.random() / 2);
        await new Promise((r) => setTimeout(r, Math.min(wait, 10_000)));
      }
    }
  }

  private async requestOnce<T>(method: string, path: string, body?: unknown): Promise<T> {
    const what = `${method} ${path}`;
    let res: Response;
    try {
      res = await this.doFetch(`${this.base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body === undefined
            ? {}
            : { "content-type": body instanceof Uint8Array ? "application/octet-stream" : "application/json" }),
        },
        // A Uint8Array is a piece of content (PUT …/modules/:sha256), sent as it is.
        body: body === undefined ? undefined : body instanceof Uint8Array ? body : JSON.stringify(body),
      });
    } catch (e) {
      throw new ControlApiError(0, { code: "network", message: unreachable(this.base, e) }, what);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = { error: { code: "internal", message: text.slice(0, 200) } };
    }
    if (!res.ok) {
      const err: ControlApiErrorBody = (parsed as { error?: ControlErrorBody }).error ?? {
        code: "internal",
        message: res.statusText,
      };
      const retryAfter = res.headers.get("retry-after");
      if (retryAfter && /^\d+$/.test(retryAfter)) err.retryAfterSeconds = Number(retryAfter);
      throw new ControlApiError(res.status, err, what);
    }
    return parsed as T;
  }

  /** Calls a route of the table (shared/control/routes.ts) by name, with retries as `request`. */
  call<K extends RouteName>(
    name: K,
    ...[args]: Record<never, never> extends RouteArgs<K> ? [RouteArgs<K>?] : [RouteArgs<K>]
  ): Promise<RouteAnswer<K>> {
    const route = CONTROL_ROUTES[name];
    const { params, query, body } = (args ?? {}) as {
      params?: Record<string, string>;
      query?: Record<string, unknown>;
      body?: unknown;
    };
    return this.request(route.method, routePath(route.path, params, query), body);
  }

  putApp(app: string, settings: Partial<AppSettingsInput> = {}): Promise<AppAnswer> {
    return this.call("putApp", { params: { app }, body: settings });
  }

  async getApp(app: string): Promise<AppInfo | null> {
    try {
      return (await this.call("getApp", { params: { app } })).app;
    } catch (e) {
      if (e instanceof ControlApiError && e.status === 404) return null;
      throw e;
    }
  }

  listApps(opts: { limit?: number; cursor?: string } = {}): Promise<AppList> {
    return this.call("listApps", { query: { limit: opts.limit, cursor: opts.cursor || undefined } });
  }

  async missingModules(app: string, hashes: string[]): Promise<string[]> {
    return (await this.call("missingModules", { params: { app }, body: { hashes } })).missing;
  }

  /**
   * Sends the contents (sha256 → bytes) the host does not store, each in
   * pieces of MODULE_CHUNK_BYTES, one request at a time. False when the host
   * predates the piece route (it answers 404): the caller sends content inline.
   */
  async uploadContents(app: string, contents: Map<string, Uint8Array>): Promise<boolean> {
    const missing = await this.missingModules(app, [...contents.keys()]);
    for (const sha256 of missing) {
      const bytes = contents.get(sha256)!;
      const of = Math.max(1, Math.ceil(bytes.byteLength / MODULE_CHUNK_BYTES));
      for (let chunk = 0; chunk < of; chunk++) {
        const piece = bytes.subarray(chunk * MODULE_CHUNK_BYTES, (chunk + 1) * MODULE_CHUNK_BYTES);
        try {
          await this.call("putModuleChunk", { params: { app, sha256 }, query: { chunk, of }, body: piece } as never);
        } catch (e) {
          if (e instanceof ControlApiError && e.status === 404 && /^no control route/.test(e.body.message ?? ""))
            return false;
          throw e;
        }
      }
    }
    return true;
  }

  /** Uploads a version: contents the host lacks in pieces, then the version by digests only. */
  async putVersion(app: string, prepared: PreparedVersion): Promise<VersionStored> {
    const contents = new Map<string, Uint8Array>();
    for (const [name, m] of Object.entries(prepared.spec.modules)) {
      contents.set(prepared.manifest.modules[name]!.sha256, moduleBytes(m.type, m.content!));
    }
    const pieces = await this.uploadContents(app, contents);
    const missing = pieces ? new Set<string>() : new Set(await this.missingModules(app, [...contents.keys()]));
    const modules: Record<string, ModuleUpload> = {};
    for (const [name, m] of Object.entries(prepared.spec.modules)) {
      const sha256 = prepared.manifest.modules[name]!.sha256;
      modules[name] = missing.has(sha256) ? m : { type: m.type, sha256 };
    }
    const r = await this.call("putVersion", { params: { app }, body: { ...prepared.spec, modules } });
    if (r.versionHash !== prepared.versionHash) {
      throw new Error(
        `the host computed version ${r.versionHash}, but this client predicted ${prepared.versionHash}: client and host disagree on the hash rule`,
      );
    }
    return r;
  }

  listVersions(app: string): Promise<VersionList> {
    return this.call("listVersions", { params: { app } });
  }

  getVersion(app: string, versionHash: string, contents = true): Promise<VersionAnswer> {
    return this.call("getVersion", {
      params: { app, hash: versionHash },
      query: { contents: contents ? undefined : "false" },
    });
  }

  /** Replaces a stored version's source files (path → UTF-8 text), sending only contents the host lacks. */
  async putSources(app: string, versionHash: string, files: Record<string, string>): Promise<SourcesStored> {
    const shas: Record<string, string> = {};
    const contents = new Map<string, Uint8Array>();
    for (const [path, text] of Object.entries(files)) {
      shas[path] = await sha256Hex(text);
      contents.set(shas[path], new TextEncoder().encode(text));
    }
    const pieces = await this.uploadContents(app, contents);
    const missing = pieces ? new Set<string>() : new Set(await this.missingModules(app, [...contents.keys()]));
    const body: VersionSourcesRequest = { files: {} };
    for (const [path, text] of Object.entries(files))
      body.files[path] = missing.has(shas[path]!) ? { content: text } : { sha256: shas[path]! };
    return this.call("putSources", { params: { app, hash: versionHash }, body });
  }

  /** A stored version's source files; `files` is null when none were uploaded for it. */
  getSources(app: string, versionHash: string): Promise<VersionSources> {
    return this.call("getSources", { params: { app, hash: versionHash } });
  }

  deploy(app: string, versionHash: string, expectedCurrent: string | null): Promise<DeployOutcome> {
    return this.call("deploy", { params: { app }, body: { versionHash, expectedCurrent } });
  }

  rollback(app: string, body: { versionHash?: string; expectedCurrent?: string | null } = {}): Promise<DeployOutcome> {
    return this.call("rollback", { params: { app }, body });
  }

  /** Starts, moves, finishes (percent 100) or cancels (the current version) a gradual rollout. */
  rollout(app: string, body: RouteArgs<"rollout">["body"]): Promise<RolloutOutcome> {
    return this.call("rollout", { params: { app }, body });
  }

  deleteApp(app: string, data: "retain" | "delete" = "retain"): Promise<DeleteOutcome> {
    return this.call("deleteApp", { params: { app }, query: { data } });
  }

  usage(app: string): Promise<UsageAnswer> {
    return this.call("usage", { params: { app } });
  }

  logs(app: string): Promise<LogsAnswer> {
    return this.call("logs", { params: { app } });
  }

  errors(app: string): Promise<AppErrors> {
    return this.call("errors", { params: { app } });
  }

  /** Every preview slot, the preview quota and the apps domain. */
  listPreviews(): Promise<PreviewList> {
    return this.call("listPreviews");
  }

  /** Makes (or updates) `app`'s slot in `preview`, against the preview quota; its code goes up under `slot.slot`. */
  putPreviewApp(preview: string, app: string, settings: Partial<AppSettingsInput> = {}): Promise<PreviewSlotAnswer> {
    return this.call("putPreviewApp", { params: { preview, previewApp: app }, body: settings });
  }

  seedPreviewApp(preview: string, app: string): Promise<SeedOutcome> {
    return this.call("seedPreviewApp", { params: { preview, previewApp: app } });
  }

  /** Removes every slot of `preview` with its objects' databases. */
  deletePreview(preview: string): Promise<PreviewDeleted> {
    return this.call("deletePreview", { params: { preview } });
  }

  /** Runs the app's scheduled handler now (`cron` omitted: its first cron trigger). */
  runScheduled(app: string, body: { cron?: string; scheduledTime?: number } = {}): Promise<ScheduledRunAnswer> {
    return this.call("runScheduled", { params: { app }, body });
  }

  /**
   * Puts settings and a version and makes it current, expecting the current
   * version the host reports before the upload (one writer at a time).
   */
  async rollOut(
    app: string,
    spec: AppVersionSpecInput,
    settings: Partial<AppSettingsInput> = {},
  ): Promise<DeployOutcome> {
    const prepared = await prepareVersion(spec, this.secretsKey);
    const { app: info } = await this.putApp(app, settings);
    await this.putVersion(app, prepared);
    return this.deploy(app, prepared.versionHash, info.currentVersion);
  }
}

/**
 * What a failed connection says: the URL (never the token), the cause
 * undici hides behind "fetch failed", and, for a local address, the likely fix.
 */
export function unreachable(base: string, e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  const cause = err.cause?.code ?? err.cause?.message;
  const local = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(base);
  return (
    `cannot reach the control API at ${base} (${[err.message, cause].filter(Boolean).join(": ")})` +
    (local ? "; is the local target running? Start it with `npx dynamic-workers local`" : "")
  );
}
