/**
 * Content-addressed module (and source file) contents in an AppControl's SQLite: each content
 * once per app, split into chunks under the 2 MB row limit, dropped when no
 * kept version uses it.
 */
import { sha256 as sha256Hasher } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import type { ModuleType } from "../../shared/schema/index.js";
import { MODULE_CHUNK_BYTES } from "../../shared/control/requests.js";

/** Rows stay well under SQLite's 2 MB row limit in Durable Objects; a piece of an upload is one row. */
const CHUNK_BYTES = MODULE_CHUNK_BYTES;

export class BlobStore {
  constructor(private readonly sql: SqlStorage) {}

  has(sha: string): boolean {
    return this.sql.exec("SELECT 1 FROM _dw_blob_sizes WHERE sha256 = ?", sha).toArray().length > 0;
  }

  missing(hashes: string[]): string[] {
    return hashes.filter((h) => !this.has(h));
  }

  size(sha: string): number {
    return this.sql.exec<{ size: number }>("SELECT size FROM _dw_blob_sizes WHERE sha256 = ?", sha).one().size;
  }

  put(sha: string, bytes: Uint8Array): void {
    if (this.has(sha)) return;
    for (let i = 0, chunk = 0; i < bytes.byteLength || chunk === 0; i += CHUNK_BYTES, chunk++) {
      this.sql.exec(
        "INSERT INTO _dw_blobs (sha256, chunk, data) VALUES (?, ?, ?)",
        sha,
        chunk,
        bytes.slice(i, i + CHUNK_BYTES),
      );
    }
    this.sql.exec("INSERT INTO _dw_blob_sizes (sha256, size) VALUES (?, ?)", sha, bytes.byteLength);
  }

  /**
   * Stores piece `chunk` of `of` of a content (a retried piece replaces
   * itself). Once every piece is in, hashes them one row at a time, so the
   * whole content is never in memory, and keeps it only if it is `sha`.
   */
  putChunk(sha: string, chunk: number, of: number, bytes: Uint8Array): ChunkOutcome {
    if (this.has(sha)) return { received: of, stored: true };
    if (bytes.byteLength !== CHUNK_BYTES && chunk < of - 1) {
      return {
        error: `piece ${chunk} of ${of} is ${bytes.byteLength} bytes; every piece but the last is ${CHUNK_BYTES}`,
      };
    }
    this.sql.exec("DELETE FROM _dw_blobs WHERE sha256 = ? AND chunk >= ?", sha, of);
    this.sql.exec("INSERT OR REPLACE INTO _dw_blobs (sha256, chunk, data) VALUES (?, ?, ?)", sha, chunk, bytes);
    const received = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM _dw_blobs WHERE sha256 = ?", sha).one().n;
    if (received < of) return { received, stored: false };
    const hasher = sha256Hasher.create();
    let size = 0;
    for (let i = 0; i < of; i++) {
      const row = this.sql
        .exec<{ data: ArrayBuffer }>("SELECT data FROM _dw_blobs WHERE sha256 = ? AND chunk = ?", sha, i)
        .one();
      hasher.update(new Uint8Array(row.data));
      size += row.data.byteLength;
    }
    const actual = bytesToHex(hasher.digest());
    if (actual !== sha) {
      this.sql.exec("DELETE FROM _dw_blobs WHERE sha256 = ?", sha);
      return { error: `the ${of} pieces hash to ${actual}, not ${sha}; send them again` };
    }
    this.sql.exec("INSERT INTO _dw_blob_sizes (sha256, size) VALUES (?, ?)", sha, size);
    return { received, stored: true };
  }

  get(sha: string): Uint8Array {
    const parts = this.sql
      .exec<{ data: ArrayBuffer }>("SELECT data FROM _dw_blobs WHERE sha256 = ? ORDER BY chunk", sha)
      .toArray()
      .map((r) => new Uint8Array(r.data));
    const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.byteLength;
    }
    return out;
  }

  /** Drops contents that no kept version references, as a module, a source file or an asset. */
  dropUnreferenced(): void {
    const used =
      "SELECT sha256 FROM _dw_version_modules UNION SELECT sha256 FROM _dw_version_sources UNION SELECT sha256 FROM _dw_version_assets";
    this.sql.exec(`DELETE FROM _dw_blobs WHERE sha256 NOT IN (${used})`);
    this.sql.exec(`DELETE FROM _dw_blob_sizes WHERE sha256 NOT IN (${used})`);
  }
}

export type ChunkOutcome = { received: number; stored: boolean } | { error: string };

/** A stored module in the Worker Loader's shape. */
export function loaderModule(type: ModuleType, bytes: Uint8Array): WorkerLoaderModule {
  const text = () => new TextDecoder().decode(bytes);
  switch (type) {
    case "js":
      return { js: text() };
    case "cjs":
      return { cjs: text() };
    case "text":
      return { text: text() };
    case "json":
      return { json: JSON.parse(text()) };
    case "data":
      return { data: bytes.buffer as ArrayBuffer };
    case "wasm":
      return { wasm: bytes.buffer as ArrayBuffer };
    default:
      return assertNever(type);
  }
}

function assertNever(x: never): never {
  throw new Error(`unexpected module type ${String(x)}`);
}
