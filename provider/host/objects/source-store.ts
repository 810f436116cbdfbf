/**
 * A version's source files (what went into its bundle), kept for reading
 * only: path → sha256 rows per version, contents in the app's BlobStore
 * beside the modules. Never loaded into the app's isolate; dropped with the
 * version.
 */
import { fail, type Result } from "../../shared/control/errors.js";
import type { BlobStore } from "./blob-store.js";

export class SourceStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly blobs: BlobStore,
  ) {}

  /** Replaces a version's files. Every sha256 must be in `blobs` or already stored. */
  put(version: string, files: Record<string, string>, contents: Record<string, Uint8Array>): void {
    for (const [sha, bytes] of Object.entries(contents)) this.blobs.put(sha, bytes);
    this.sql.exec("DELETE FROM _dw_version_sources WHERE version = ?", version);
    for (const [path, sha] of Object.entries(files)) {
      this.sql.exec("INSERT INTO _dw_version_sources (version, path, sha256) VALUES (?, ?, ?)", version, path, sha);
    }
  }

  /** The refusal of `files` whose content is neither sent nor stored, or null when all are. */
  refusal(files: Record<string, string>, contents: Record<string, Uint8Array>): Result<never> | null {
    const issues = Object.entries(files)
      .filter(([, sha]) => !contents[sha] && !this.blobs.has(sha))
      .map(([path]) => ({
        path: `files[${JSON.stringify(path)}]`,
        message: "was sent by sha256 only, but the host does not store that content; send its content",
      }));
    return issues.length ? fail("invalid_request", "some files are neither sent nor stored", { issues }) : null;
  }

  /** The files as text, in path order; null when none were stored for the version. */
  get(version: string): Record<string, string> | null {
    const rows = this.sql
      .exec<{ path: string; sha256: string }>(
        "SELECT path, sha256 FROM _dw_version_sources WHERE version = ? ORDER BY path",
        version,
      )
      .toArray();
    if (rows.length === 0) return null;
    const decoder = new TextDecoder();
    return Object.fromEntries(rows.map((r) => [r.path, decoder.decode(this.blobs.get(r.sha256))]));
  }

  drop(version: string): void {
    this.sql.exec("DELETE FROM _dw_version_sources WHERE version = ?", version);
  }
}
