/**
 * The preview slots the Catalog keeps (`_dw_preview_slots`): which slot
 * apps exist, for which preview and production app, and when each expires.
 * The Catalog's alarm removes expired slots with their data (removeAppData),
 * so a forgotten pull request frees its quota by itself.
 */
import { fail, ok, type Result } from "../../shared/control/errors.js";
import type { PreviewSlot } from "../../shared/control/preview-responses.js";
import type { PreviewQuotaConfig } from "../../shared/schema/index.js";
import { appControlStub, appObjectStub } from "../env.js";
import { forgetApp } from "../data-plane/version-cache.js";

/** Appended to the Catalog's migration steps. */
export const PREVIEW_SLOT_STEPS = [
  `CREATE TABLE _dw_preview_slots (slot TEXT PRIMARY KEY, preview TEXT NOT NULL, app TEXT NOT NULL,
     created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, seeded INTEGER NOT NULL DEFAULT 0)`,
  `CREATE INDEX _dw_preview_slots_by_expiry ON _dw_preview_slots (expires_at)`,
];

type Row = { slot: string; preview: string; app: string; created_at: number; expires_at: number; seeded: number };

const slotOf = (r: Row): PreviewSlot => ({
  preview: r.preview,
  app: r.app,
  slot: r.slot,
  createdAt: new Date(r.created_at).toISOString(),
  expiresAt: new Date(r.expires_at).toISOString(),
  seeded: r.seeded === 1,
});

export class PreviewSlots {
  constructor(private readonly sql: SqlStorage) {}

  has(slot: string): boolean {
    return this.sql.exec("SELECT 1 FROM _dw_preview_slots WHERE slot = ?", slot).toArray().length > 0;
  }

  count(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM _dw_preview_slots").one().n;
  }

  /**
   * Takes a slot (or keeps one already taken) and sets the whole preview's
   * expiry to `ttlHours` from now: a deploy to any of its apps extends all.
   */
  reserve(
    preview: string,
    app: string,
    slot: string,
    quota: PreviewQuotaConfig,
  ): Result<{ created: boolean; slot: PreviewSlot }> {
    const now = Date.now();
    const expires = now + Math.round(quota.ttlHours * 3_600_000);
    const known = this.has(slot);
    if (!known) {
      const n = this.count();
      if (n >= quota.maxSlots) {
        return fail("limit_exceeded", `the platform holds ${n} preview slots; previews.maxSlots is ${quota.maxSlots}`, {
          issues: [
            {
              path: "previews.maxSlots",
              message: `slot ${n + 1} ('${slot}') is above the preview quota of ${quota.maxSlots}; delete a preview (dynamic-workers preview delete --id <id>) or raise previews.maxSlots`,
            },
          ],
        });
      }
      this.sql.exec(
        "INSERT INTO _dw_preview_slots (slot, preview, app, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        slot,
        preview,
        app,
        now,
        expires,
      );
    }
    this.sql.exec("UPDATE _dw_preview_slots SET expires_at = ? WHERE preview = ?", expires, preview);
    return ok({ created: !known, slot: this.get(slot)! });
  }

  get(slot: string): PreviewSlot | null {
    const r = this.sql.exec<Row>("SELECT * FROM _dw_preview_slots WHERE slot = ?", slot).toArray()[0];
    return r ? slotOf(r) : null;
  }

  list(preview?: string): PreviewSlot[] {
    const rows =
      preview === undefined
        ? this.sql.exec<Row>("SELECT * FROM _dw_preview_slots ORDER BY preview, app").toArray()
        : this.sql.exec<Row>("SELECT * FROM _dw_preview_slots WHERE preview = ? ORDER BY app", preview).toArray();
    return rows.map(slotOf);
  }

  /** Marks a slot seeded; false when it already was (the seed hook runs once per slot). */
  markSeeded(slot: string): boolean {
    const r = this.sql.exec("UPDATE _dw_preview_slots SET seeded = 1 WHERE slot = ? AND seeded = 0", slot);
    return r.rowsWritten > 0;
  }

  remove(slot: string): void {
    this.sql.exec("DELETE FROM _dw_preview_slots WHERE slot = ?", slot);
  }

  /** Slots whose time is up at `now`. */
  expired(now: number): string[] {
    return this.sql
      .exec<{ slot: string }>("SELECT slot FROM _dw_preview_slots WHERE expires_at <= ?", now)
      .toArray()
      .map((r) => r.slot);
  }

  nextExpiry(): number | null {
    return this.sql.exec<{ t: number | null }>("SELECT MIN(expires_at) AS t FROM _dw_preview_slots").one().t;
  }
}

/**
 * Stops serving an app and deletes its objects' databases, then its
 * AppControl's storage: databases first, so a failed removal can be retried.
 * The same steps as `DELETE /apps/:app?data=delete`.
 */
export async function removeAppData(env: Env, app: string): Promise<{ existed: boolean; objects: number }> {
  const control = appControlStub(env, app);
  const { existed, objects } = await control.remove();
  forgetApp(app);
  for (let i = 0; i < objects.length; i += 16) {
    await Promise.all(objects.slice(i, i + 16).map((name) => appObjectStub(env, app, name).destroy()));
  }
  await control.purge();
  return { existed, objects: objects.length };
}
