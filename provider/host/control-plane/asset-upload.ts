/** `POST /apps/:app/assets`: each content decoded and checked against the digest it was sent under. */
import { ControlError } from "../../shared/control/errors.js";
import { ASSET_LIMITS, type FieldIssue } from "../../shared/schema/index.js";
import { sha256Hex } from "../../shared/version-hash.js";

/** The contents by sha256; a content that does not hash to its key, or is over 25 MiB, refuses the whole call. */
export async function assetContents(files: Record<string, string>): Promise<Record<string, Uint8Array>> {
  const out: Record<string, Uint8Array> = {};
  const issues: FieldIssue[] = [];
  for (const [sha, base64] of Object.entries(files)) {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const path = `files.${sha}`;
    if (bytes.byteLength > ASSET_LIMITS.maxFileBytes) {
      issues.push({ path, message: `is ${bytes.byteLength} bytes; at most 25 MiB per asset` });
    } else if ((await sha256Hex(bytes)) !== sha) {
      issues.push({ path, message: "its content does not hash to this sha256" });
    } else {
      out[sha] = bytes;
    }
  }
  if (issues.length) {
    throw new ControlError("invalid_request", `invalid asset upload: ${issues.map((i) => i.path).join(", ")}`, {
      issues,
    });
  }
  return out;
}
