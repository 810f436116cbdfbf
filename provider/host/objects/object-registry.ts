/**
 * The objects an app has created, with each one's database size as the
 * host last measured it (objects/app-object.ts), in its AppControl's SQLite: what maxObjects and maxStorageBytes
 * count.
 */
import { fail, ok, type Result } from "../../shared/control/errors.js";
import type { Quota } from "../../shared/schema/index.js";
/** Starts the registry name of an object of a declared namespace; env.OBJECTS names cannot hold it (ObjectName). */
export const NAMESPACE_MARK = "\u0001";

export class ObjectRegistry {
  constructor(private readonly sql: SqlStorage) {}

  /**
   * Counts a new object against maxObjects before its database is created;
   * says whether the app is over maxStorageBytes, and the object's size as
   * the host last measured it.
   */
  admit(
    name: string,
    quota: Pick<Quota, "maxObjects" | "maxStorageBytes">,
  ): Result<{ created: boolean; overStorage: boolean; storedBytes: number; bytes: number }> {
    const storedBytes = this.storedBytes();
    const overStorage = storedBytes > quota.maxStorageBytes;
    const bytes = this.sizeOf(name);
    if (bytes !== null) return ok({ created: false, overStorage, storedBytes, bytes });
    const count = this.count();
    if (count >= quota.maxObjects) {
      return fail("limit_exceeded", `the app has ${count} objects; its quota allows maxObjects = ${quota.maxObjects}`);
    }
    this.add(name);
    return ok({ created: true, overStorage, storedBytes, bytes: 0 });
  }

  count(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM _dw_objects").one().n;
  }

  /** The object's size as last measured (0 before the first), or null when it is not registered. */
  sizeOf(name: string): number | null {
    const row = this.sql
      .exec<{ bytes: number | null }>("SELECT bytes FROM _dw_objects WHERE name = ?", name)
      .toArray()[0];
    return row ? (row.bytes ?? 0) : null;
  }

  add(name: string): void {
    this.sql.exec("INSERT INTO _dw_objects (name, created_at) VALUES (?, ?)", name, Date.now());
  }

  remove(name: string): void {
    this.sql.exec("DELETE FROM _dw_objects WHERE name = ?", name);
  }

  setSize(name: string, bytes: number): void {
    this.sql.exec("UPDATE _dw_objects SET bytes = ? WHERE name = ?", Math.max(0, Math.floor(bytes) || 0), name);
  }

  storedBytes(): number {
    return this.sql.exec<{ n: number | null }>("SELECT SUM(bytes) AS n FROM _dw_objects").one().n ?? 0;
  }

  /**
   * Objects per class: a namespace object's registry name says its class
   * (`\u0001<class>:<id>`); the others are env.OBJECTS objects of `legacyClass`.
   */
  countsByClass(legacyClass: string | null): Record<string, number> {
    const out: Record<string, number> = {};
    for (const name of this.names()) {
      const cls = name.startsWith(NAMESPACE_MARK) ? name.slice(1, name.indexOf(":")) : (legacyClass ?? "");
      out[cls] = (out[cls] ?? 0) + 1;
    }
    return out;
  }

  names(): string[] {
    return this.sql
      .exec<{ name: string }>("SELECT name FROM _dw_objects ORDER BY name")
      .toArray()
      .map((r) => r.name);
  }
}
