/** A version's source files, kept beside it for reading. Runs in Node and in workerd. */
import { z } from "zod";
import { SOURCE_LIMITS } from "./limits.js";
import { Sha256, nameRecord } from "./names.js";

/** A source file's path relative to the app folder, with '/' separators. */
export const SourcePath = z
  .string()
  .min(1, { message: "must not be empty" })
  .max(SOURCE_LIMITS.maxPathLength, { message: `must be at most ${SOURCE_LIMITS.maxPathLength} characters` })
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses.
  .refine((s) => !/[\\\u0000-\u001f]/.test(s), { message: "must not contain '\\' or control characters" })
  .refine((s) => !s.startsWith("/") && s.split("/").every((seg) => seg !== "" && seg !== "." && seg !== ".."), {
    message: "must be relative, without empty, '.' or '..' segments",
  });

/** One source file: its UTF-8 text, or the sha256 of text the host stores. */
export const SourceUpload = z
  .strictObject({ content: z.string().optional(), sha256: Sha256.optional() })
  .refine((f) => (f.content === undefined) !== (f.sha256 === undefined), {
    message: "must have either 'content' or 'sha256' (of content the host stores), not both",
  });

/** `PUT /_control/v1/apps/:app/versions/:hash/sources`: replaces the version's source files. */
export const VersionSourcesRequest = z
  .strictObject({ files: nameRecord(SourcePath, SourceUpload) })
  .superRefine((r, ctx) => {
    const n = Object.keys(r.files).length;
    if (n > SOURCE_LIMITS.maxFiles) {
      ctx.addIssue({
        code: "custom",
        path: ["files"],
        message: `must hold at most ${SOURCE_LIMITS.maxFiles} files (got ${n})`,
      });
    }
    let bytes = 0;
    for (const f of Object.values(r.files))
      if (f.content !== undefined) bytes += new TextEncoder().encode(f.content).byteLength;
    if (bytes > SOURCE_LIMITS.maxBytes) {
      ctx.addIssue({
        code: "custom",
        path: ["files"],
        message: `are ${bytes} bytes in all; at most ${SOURCE_LIMITS.maxBytes} bytes are allowed`,
      });
    }
  });
export type VersionSourcesRequest = z.input<typeof VersionSourcesRequest>;
