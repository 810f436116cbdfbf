/**
 * The Workers script upload, as one pure function. The `cloudflare` SDK 7.3
 * bracket-encodes a plain-object `metadata` into form fields and sends the
 * body as application/javascript, which Cloudflare refuses
 * (cloudflare-typescript#2799). What it does accept: `metadata` as one JSON
 * file part and each module as a file part named by its module name, with
 * the Content-Type header left to fetch so the multipart boundary is set.
 */
import { MODULE_CONTENT_TYPES, ScriptMetadata, type UploadModuleKind } from "./metadata.js";

export interface UploadModule {
  name: string;
  kind: UploadModuleKind;
  content: string | Uint8Array;
}

export interface UploadForm {
  /** The metadata part: metadata.json, application/json. */
  metadata: File;
  /** One part per module, named by the module name. */
  files: File[];
}

/** Builds the upload's parts; throws naming the field when the metadata is not what Cloudflare takes. */
export function buildUploadForm(metadata: ScriptMetadata, modules: UploadModule[]): UploadForm {
  const parsed = ScriptMetadata.safeParse(metadata);
  if (!parsed.success) {
    throw new Error(
      `invalid script metadata: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  }
  if (!modules.some((m) => m.name === metadata.main_module)) {
    throw new Error(
      `main_module '${metadata.main_module}' is not among the modules (${modules.map((m) => m.name).join(", ")})`,
    );
  }
  const seen = new Set<string>();
  for (const m of modules) {
    if (seen.has(m.name)) throw new Error(`module '${m.name}' is given twice`);
    seen.add(m.name);
  }
  return {
    metadata: new File([JSON.stringify(parsed.data)], "metadata.json", { type: "application/json" }),
    files: modules.map(
      (m) =>
        new File([typeof m.content === "string" ? m.content : new Uint8Array(m.content)], m.name, {
          type: MODULE_CONTENT_TYPES[m.kind],
        }),
    ),
  };
}

/** The same parts as a FormData, for a plain fetch. */
export function uploadFormData(form: UploadForm): FormData {
  const data = new FormData();
  data.set("metadata", form.metadata);
  for (const f of form.files) data.append(f.name, f, f.name);
  return data;
}

/** Request options that let fetch set the multipart Content-Type (see the file comment). */
export const UPLOAD_REQUEST_OPTIONS = { headers: { "Content-Type": null } } as const;
