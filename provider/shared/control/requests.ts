/** The control API's request bodies and queries that are not app settings or versions. Runs in Node and in workerd. */
import { z } from "zod";
import { LIMITS } from "../schema/limits.js";
import { ASSET_LIMITS } from "../schema/assets.js";
import { Sha256 } from "../schema/names.js";
import { DataOnDelete } from "../schema/settings.js";
import { CronExpression } from "../schema/crons.js";

/** `POST /_control/v1/apps/:app/scheduled`: runs the app's scheduled handler now. */
export const ScheduledRequest = z.strictObject({
  /** The cron the controller names; omitted: the app's first cron trigger, or "" when it has none. */
  cron: CronExpression.optional(),
  /** The controller's scheduledTime (ms since the epoch); omitted: now. */
  scheduledTime: z.number().int().min(0).max(8_640_000_000_000_000).optional(),
});

/** `POST /_control/v1/apps/:app/deploy`. */
export const DeployRequest = z.strictObject({
  versionHash: Sha256,
  /** The version the caller believes is current; `null` for none. A mismatch is a 409. */
  expectedCurrent: Sha256.nullable(),
});

/** `POST /_control/v1/apps/:app/rollback`. */
export const RollbackRequest = z.strictObject({
  /** Version to go back to; omitted: the one deployed before the current one. */
  versionHash: Sha256.optional(),
  expectedCurrent: Sha256.nullable().optional(),
});

/**
 * A module's (or source file's) content goes to the host in pieces of this
 * size, so no request holds more than this of it (issue 17: an isolate has
 * 128 MB on Cloudflare). The same size as the BlobStore's rows.
 */
export const MODULE_CHUNK_BYTES = 1024 * 1024;
/** Pieces of one content at most: the largest version's code, or the largest asset file. */
export const MAX_MODULE_CHUNKS = Math.ceil(
  Math.max(LIMITS.maxCodeBytes, ASSET_LIMITS.maxFileBytes) / MODULE_CHUNK_BYTES,
);

/** `PUT /_control/v1/apps/:app/modules/:sha256?chunk=i&of=n`: piece i of n, the raw bytes as the body. */
export const ModuleChunkQuery = z
  .strictObject({
    chunk: z.coerce.number().int().min(0),
    of: z.coerce.number().int().min(1).max(MAX_MODULE_CHUNKS),
  })
  .refine((q) => q.chunk < q.of, { path: ["chunk"], message: "must be less than 'of'" });

/** `POST /_control/v1/apps/:app/modules/missing`. */
export const MissingModulesRequest = z.strictObject({
  hashes: z.array(Sha256).max(LIMITS.maxModules),
});

/** Paging of list calls. */
export const ListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(64).optional(),
});

/** `DELETE /_control/v1/apps/:app?data=…`: whether the objects' databases go too. */
export const DeleteQuery = z.object({ data: DataOnDelete.default("retain") });

/** `GET /_control/v1/apps/:app/versions/:hash?contents=false` leaves the module contents out. */
export const VersionQuery = z.object({ contents: z.string().optional() });
