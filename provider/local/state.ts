/**
 * What the local target persists under its state folder:
 *
 *   state.json      scripts (metadata, module list, migration tag) and namespaces
 *   modules/<sha>   module contents, content-addressed (module names may hold '/')
 *   do/<ns id>/     each Durable Object namespace's SQLite files (workerd writes them)
 *   local.lock      the running instance's pid (lock.ts)
 *
 * state.json is replaced atomically (write, then rename), after module files
 * are written, so a crash leaves the previous consistent state.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { StoredMetadata } from "./metadata-schema.js";

export const STATE_VERSION = 1;

export interface StoredModule {
  /** The module name: the part's filename. */
  name: string;
  /** The part's content type, as uploaded. */
  contentType: string;
  sha256: string;
  size: number;
}

export interface StoredScript {
  name: string;
  /** Cloudflare's immutable script id ("tag"), kept across uploads. */
  tag: string;
  /** Hash of the uploaded content and metadata. */
  etag: string;
  createdOn: string;
  modifiedOn: string;
  /** The effective metadata: kept bindings merged in, migrations left out. */
  metadata: StoredMetadata;
  modules: StoredModule[];
  /** The tag of the last applied Durable Object migration. */
  migrationTag?: string;
  subdomain: { enabled: boolean; previewsEnabled: boolean };
  /** Cron triggers (PUT …/schedules); kept across uploads, as Cloudflare keeps them. */
  schedules?: StoredSchedule[];
}

export interface StoredSchedule {
  cron: string;
  createdOn: string;
  modifiedOn: string;
}

export interface StoredNamespace {
  /** 32 hex characters, stable for the namespace's life (also its storage key). */
  id: string;
  /** `<script>_<class>`, as Cloudflare names namespaces made by migrations. */
  name: string;
  script: string;
  className: string;
  sqlite: boolean;
  createdOn: string;
}

export interface LocalState {
  version: typeof STATE_VERSION;
  /** The account's workers.dev subdomain, as GET /workers/subdomain reports it. */
  accountSubdomain: string;
  scripts: Record<string, StoredScript>;
  namespaces: StoredNamespace[];
}

export function emptyState(): LocalState {
  return { version: STATE_VERSION, accountSubdomain: "local", scripts: {}, namespaces: [] };
}

export function newId(): string {
  return randomBytes(16).toString("hex");
}

/** Lowercase hex SHA-256, synchronously (node:crypto); shared/version-hash.ts has the async, web-API one. */
export function sha256HexSync(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

export class StateStore {
  readonly dir: string;
  readonly modulesDir: string;
  /** Miniflare's durableObjectsPersist: one folder per namespace id inside. */
  readonly durableObjectsDir: string;
  private readonly file: string;

  constructor(dir: string) {
    this.dir = dir;
    this.modulesDir = join(dir, "modules");
    this.durableObjectsDir = join(dir, "do");
    this.file = join(dir, "state.json");
    mkdirSync(this.modulesDir, { recursive: true });
    mkdirSync(this.durableObjectsDir, { recursive: true });
  }

  load(): LocalState {
    if (!existsSync(this.file)) return emptyState();
    const parsed = JSON.parse(readFileSync(this.file, "utf8")) as LocalState;
    if (parsed.version !== STATE_VERSION) {
      throw new Error(
        `${this.file} has state version ${String(parsed.version)}; this dynamic-workers reads version ${STATE_VERSION}`,
      );
    }
    return parsed;
  }

  save(state: LocalState): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
    renameSync(tmp, this.file);
  }

  /** Stores a module's bytes under their hash; returns the hash. */
  putModule(bytes: Uint8Array): string {
    const sha = sha256HexSync(bytes);
    const path = join(this.modulesDir, sha);
    if (!existsSync(path)) {
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, bytes);
      renameSync(tmp, path);
    }
    return sha;
  }

  readModule(sha: string): Uint8Array {
    return readFileSync(join(this.modulesDir, sha));
  }

  /** Deletes module files no script refers to. */
  collectModules(state: LocalState): void {
    const used = new Set(Object.values(state.scripts).flatMap((s) => s.modules.map((m) => m.sha256)));
    for (const file of readdirSync(this.modulesDir)) {
      if (!used.has(file)) rmSync(join(this.modulesDir, file), { force: true });
    }
  }

  /** Deletes a namespace's Durable Object data, as Cloudflare does with the namespace. */
  removeNamespaceData(id: string): void {
    if (!/^[0-9a-f]{32}$/.test(id)) throw new Error(`not a namespace id: ${id}`);
    rmSync(join(this.durableObjectsDir, id), { recursive: true, force: true });
  }
}
