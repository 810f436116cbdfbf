/**
 * SizeProbe: a class of the host's own Worker that AppObject starts, for a
 * moment, in place of the app's class under the same facet name. A facet's
 * database belongs to its name, not to its class, so the probe reads the
 * app's database size in the host's isolate, where no app code runs: the
 * one size the host trusts (see app-object.ts).
 */
import { DurableObject } from "cloudflare:workers";

export class SizeProbe extends DurableObject<Env> {
  size(): number {
    return this.ctx.storage.sql.databaseSize;
  }
}
