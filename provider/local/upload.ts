/**
 * Reads a Workers script upload as Cloudflare does: a multipart/form-data
 * body whose part named "metadata" holds the JSON metadata and whose file
 * parts are the modules, each named by its filename. Anything else (the
 * `cloudflare` SDK 7.3's bracket-encoded fields sent as
 * application/javascript, cloudflare-typescript#2799) is refused with
 * Cloudflare's 10021.
 */
import type { ModuleRuleType } from "miniflare";
import { formatIssues, describeIssues } from "../shared/schema/index.js";
import { CfApiError } from "./errors.js";
import { UPLOAD_BINDING_TYPES, UploadMetadata } from "./metadata-schema.js";
import { checkScriptSize } from "./size-limits.js";

export interface UploadedModule {
  name: string;
  contentType: string;
  bytes: Uint8Array;
}

export interface ParsedUpload {
  metadata: UploadMetadata;
  modules: UploadedModule[];
}

/**
 * How workerd loads each module content type Cloudflare takes; null: stored
 * but not loaded (source maps). Python is not run by the local target.
 */
const MODULE_TYPES: Record<string, ModuleRuleType | null> = {
  "application/javascript+module": "ESModule",
  "text/javascript+module": "ESModule",
  "application/javascript": "CommonJS",
  "text/javascript": "CommonJS",
  "text/plain": "Text",
  "application/octet-stream": "Data",
  "application/wasm": "CompiledWasm",
  "application/source-map": null,
};

/** The Miniflare module type of a stored content type; null: not loaded. */
export function runtimeModuleType(contentType: string): ModuleRuleType | null {
  const type = MODULE_TYPES[baseType(contentType)];
  if (type === undefined) throw new Error(`unsupported module content type ${contentType}`);
  return type;
}

function baseType(contentType: string): string {
  return contentType.split(";")[0]!.trim().toLowerCase();
}

const metadataError = (why: string) =>
  new CfApiError("script_invalid", `could not read content for part metadata: ${why}`);

export async function readUpload(request: Request): Promise<ParsedUpload> {
  const contentType = request.headers.get("content-type") ?? "";
  if (!contentType.toLowerCase().startsWith("multipart/form-data")) {
    throw metadataError(
      `the body is ${contentType || "untyped"}, not multipart/form-data. ` +
        `Send the metadata as one JSON file part and let fetch set the Content-Type (see provider/upload-form.ts)`,
    );
  }
  let form: FormData;
  try {
    form = await request.formData();
  } catch (e) {
    throw metadataError(`the multipart body cannot be parsed (${(e as Error).message})`);
  }
  const metadata = await parseMetadata(form);
  const modules: UploadedModule[] = [];
  const seen = new Set<string>();
  for (const [field, value] of form.entries()) {
    if (field === "metadata") continue;
    if (typeof value === "string") {
      throw new CfApiError(
        "script_invalid",
        `unexpected form field '${field}': modules are file parts named by their module name`,
      );
    }
    const name = value.name;
    if (!name || name.startsWith("/") || name.split("/").some((seg) => seg === ".." || seg === "")) {
      throw new CfApiError(
        "script_invalid",
        `module part '${field}' has an invalid module name ${JSON.stringify(name)}`,
      );
    }
    if (seen.has(name)) throw new CfApiError("script_invalid", `module '${name}' is uploaded twice`);
    seen.add(name);
    const type = value.type || "application/octet-stream";
    if (MODULE_TYPES[baseType(type)] === undefined) {
      throw new CfApiError(
        "script_invalid",
        `module '${name}' has content type '${type}', which the local target does not run (it takes ${Object.keys(MODULE_TYPES).join(", ")})`,
      );
    }
    modules.push({ name, contentType: type, bytes: new Uint8Array(await value.arrayBuffer()) });
  }
  checkScriptSize(modules);
  const main = modules.find((m) => m.name === metadata.main_module);
  if (!main) {
    throw new CfApiError(
      "script_invalid",
      `No such module "${metadata.main_module}": main_module must name one of the uploaded module parts (${modules.map((m) => m.name).join(", ") || "none were uploaded"})`,
    );
  }
  if (runtimeModuleType(main.contentType) !== "ESModule") {
    throw new CfApiError(
      "script_invalid",
      `main_module '${main.name}' is ${main.contentType}; it must be an ES module (application/javascript+module)`,
    );
  }
  return { metadata, modules };
}

async function parseMetadata(form: FormData): Promise<UploadMetadata> {
  const part = form.get("metadata");
  if (part === null) {
    const bracketed = [...form.keys()].find((k) => k.startsWith("metadata["));
    throw metadataError(
      bracketed
        ? `there is no part named 'metadata', only bracket-encoded fields such as '${bracketed}'; send the metadata as one JSON part`
        : "there is no part named 'metadata'",
    );
  }
  // wrangler sends a plain field, buildUploadForm a metadata.json file: Cloudflare takes both.
  return checkMetadata(typeof part === "string" ? part : await part.text());
}

/** Parses and validates the metadata JSON, naming the failing field. */
export function checkMetadata(json: string): UploadMetadata {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw metadataError(`it is not JSON (${(e as Error).message})`);
  }
  const bindings = (raw as { bindings?: unknown } | null)?.bindings;
  if (Array.isArray(bindings)) {
    bindings.forEach((b: unknown, i) => {
      const type = (b as { type?: unknown } | null)?.type;
      if (!UPLOAD_BINDING_TYPES.includes(type as string)) {
        const name = (b as { name?: unknown } | null)?.name;
        throw new CfApiError(
          "script_invalid",
          `metadata.bindings[${i}] ('${String(name)}') has unknown binding type ${JSON.stringify(type)}; ` +
            `Cloudflare takes ${UPLOAD_BINDING_TYPES.join(", ")}`,
        );
      }
    });
  }
  if ((raw as { body_part?: unknown } | null)?.body_part !== undefined) {
    // Cloudflare takes service-worker scripts (body_part); the local target runs ES modules only.
    throw new CfApiError(
      "script_invalid",
      "metadata.body_part: service-worker scripts are not run by the local target; upload ES modules with main_module",
    );
  }
  const parsed = UploadMetadata.safeParse(raw);
  if (!parsed.success) {
    throw new CfApiError(
      "script_invalid",
      `metadata failed validation: ${describeIssues(formatIssues(parsed.error, "metadata"))}`,
    );
  }
  return parsed.data;
}
