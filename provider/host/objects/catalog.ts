/**
 * Catalog: the one object that knows which apps exist, so platform-wide caps
 * (maxApps) hold and apps can be listed. Per-app state lives in AppControl.
 */
import { DurableObject } from "cloudflare:workers";
import { fail, ok, type Result } from "../../shared/control/errors.js";
import { migrate } from "./sql.js";
import type { PreviewSlot } from "../../shared/control/preview-responses.js";
import type { PreviewQuotaConfig } from "../../shared/schema/index.js";
import { PREVIEW_SLOT_STEPS, PreviewSlots, removeAppData } from "./preview-slots.js";
import { type AppCrons, CRON_TABLE_STEP, allCrons, setCrons } from "./cron-table.js";

const STEPS = [
  `CREATE TABLE _dw_apps (name TEXT PRIMARY KEY, created_at INTEGER NOT NULL)`,
  ...PREVIEW_SLOT_STEPS,
  CRON_TABLE_STEP,
];

export interface CatalogEntry {
  name: string;
  createdAt: string;
}

export class Catalog extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly previews: PreviewSlots;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    migrate(this.sql, STEPS);
    this.previews = new PreviewSlots(this.sql);
  }

  /** Adds an app unless the platform is at `maxApps`; idempotent for a known app. */
  register(name: string, maxApps: number): Result<{ created: boolean }> {
    if (this.sql.exec("SELECT 1 FROM _dw_apps WHERE name = ?", name).toArray().length) return ok({ created: false });
    const count = this.count();
    if (count >= maxApps) {
      return fail("limit_exceeded", `the platform holds ${count} apps; limits.maxApps is ${maxApps}`, {
        issues: [{ path: "limits.maxApps", message: `app ${count + 1} is above the platform ceiling of ${maxApps}` }],
      });
    }
    this.sql.exec("INSERT INTO _dw_apps (name, created_at) VALUES (?, ?)", name, Date.now());
    return ok({ created: true });
  }

  /** Whether the app (or preview slot) was created through the control API (and not deleted since). */
  has(name: string): boolean {
    return this.sql.exec("SELECT 1 FROM _dw_apps WHERE name = ?", name).toArray().length > 0 || this.previews.has(name);
  }

  /** Takes a preview slot against the preview quota (maxSlots) and sets the preview's expiry; see preview-slots.ts. */
  async reservePreviewSlot(
    preview: string,
    app: string,
    slot: string,
    quota: PreviewQuotaConfig,
  ): Promise<Result<{ created: boolean; slot: PreviewSlot }>> {
    const r = this.previews.reserve(preview, app, slot, quota);
    if (r.ok) await this.scheduleExpiry();
    return r;
  }

  previewSlots(preview?: string): PreviewSlot[] {
    return this.previews.list(preview);
  }

  previewSlot(slot: string): PreviewSlot | null {
    return this.previews.get(slot);
  }

  markPreviewSeeded(slot: string): boolean {
    return this.previews.markSeeded(slot);
  }

  /** Removes a slot from the registry (after its data: see removeAppData). */
  releasePreviewSlot(slot: string): void {
    this.previews.remove(slot);
  }

  private async scheduleExpiry(): Promise<void> {
    const next = this.previews.nextExpiry();
    if (next === null) return;
    const set = await this.ctx.storage.getAlarm();
    if (set === null || set > next) await this.ctx.storage.setAlarm(next);
  }

  /** A preview's lifetime is over: its slots go, with their data (the alarm retries what fails). */
  override async alarm(): Promise<void> {
    for (const slot of this.previews.expired(Date.now())) {
      await removeAppData(this.env, slot);
      this.previews.remove(slot);
    }
    await this.scheduleExpiry();
  }

  unregister(name: string): void {
    this.sql.exec("DELETE FROM _dw_apps WHERE name = ?", name);
    setCrons(this.sql, name, []);
  }

  /** Replaces the app's cron triggers in the index the host's cron tick reads (cron-table.ts). */
  setCrons(name: string, crons: string[]): void {
    setCrons(this.sql, name, crons);
  }

  /** Every app with cron triggers. */
  crons(): AppCrons[] {
    return allCrons(this.sql);
  }

  count(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM _dw_apps").one().n;
  }

  /** Apps in name order, after `cursor` (the last name of the previous page). */
  list(limit: number, cursor?: string): { apps: CatalogEntry[]; cursor: string | null; total: number } {
    const rows = this.sql
      .exec<{ name: string; created_at: number }>(
        "SELECT name, created_at FROM _dw_apps WHERE name > ? ORDER BY name LIMIT ?",
        cursor ?? "",
        limit + 1,
      )
      .toArray();
    const page = rows.slice(0, limit);
    return {
      apps: page.map((r) => ({ name: r.name, createdAt: new Date(r.created_at).toISOString() })),
      cursor: rows.length > limit ? page[page.length - 1]!.name : null,
      total: this.count(),
    };
  }
}
