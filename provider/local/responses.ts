/**
 * Result bodies of the API routes, typed with the `cloudflare` SDK's own
 * response types so the local shapes cannot drift from what the SDK reads.
 */
import type Cloudflare from "cloudflare";
import { bindingKind, type SettingsBinding } from "./bindings/index.js";
import type { StoredNamespace, StoredScript } from "./state.js";

type ScriptListResponse = Cloudflare.Workers.Scripts.ScriptListResponse;
type ScriptUpdateResponse = Cloudflare.Workers.Scripts.ScriptUpdateResponse;
type SettingsResponse = Omit<Cloudflare.Workers.Scripts.ScriptAndVersionSettingGetResponse, "bindings"> & {
  bindings: SettingsBinding[];
};
type ScriptSetting = Cloudflare.Workers.Scripts.ScriptSetting;
type Namespace = Cloudflare.DurableObjects.Namespace;
type SubdomainResponse = Cloudflare.Workers.Scripts.SubdomainGetResponse;

function common(s: StoredScript) {
  return {
    id: s.name,
    tag: s.tag,
    etag: s.etag,
    created_on: s.createdOn,
    modified_on: s.modifiedOn,
    compatibility_date: s.metadata.compatibility_date,
    compatibility_flags: s.metadata.compatibility_flags ?? [],
    has_modules: true,
    has_assets: false,
    logpush: s.metadata.logpush ?? false,
    usage_model: s.metadata.usage_model ?? ("standard" as const),
    tags: s.metadata.tags ?? [],
    tail_consumers: s.metadata.tail_consumers ?? null,
    ...(s.metadata.placement ? { placement: s.metadata.placement } : {}),
    ...(s.metadata.observability ? { observability: s.metadata.observability } : {}),
    last_deployed_from: "dynamic-workers-local",
    ...(s.migrationTag !== undefined ? { migration_tag: s.migrationTag } : {}),
  };
}

export function scriptListItem(s: StoredScript): ScriptListResponse {
  return { ...common(s), routes: [] } satisfies ScriptListResponse;
}

export function scriptUploaded(s: StoredScript, startupMs: number): ScriptUpdateResponse {
  return {
    ...common(s),
    startup_time_ms: startupMs,
    entry_point: s.metadata.main_module,
  } satisfies ScriptUpdateResponse;
}

/** GET …/settings: bindings as Cloudflare lists them (a secret's text left out). */
export function scriptSettings(s: StoredScript, namespaces: readonly StoredNamespace[]): SettingsResponse {
  const ctx = { script: s.name, namespaces };
  return {
    bindings: (s.metadata.bindings ?? []).map((b) => bindingKind(b).describe(b, ctx)),
    compatibility_date: s.metadata.compatibility_date,
    compatibility_flags: s.metadata.compatibility_flags ?? [],
    logpush: s.metadata.logpush ?? false,
    tags: s.metadata.tags ?? [],
    tail_consumers: s.metadata.tail_consumers ?? null,
    usage_model: s.metadata.usage_model ?? "standard",
    ...(s.metadata.limits ? { limits: s.metadata.limits } : {}),
    ...(s.metadata.placement ? { placement: s.metadata.placement } : {}),
    ...(s.metadata.observability ? { observability: s.metadata.observability } : {}),
  };
}

/** GET …/script-settings. */
export function scriptSetting(s: StoredScript): ScriptSetting {
  return {
    logpush: s.metadata.logpush ?? false,
    observability: s.metadata.observability ?? null,
    tags: s.metadata.tags ?? [],
    tail_consumers: s.metadata.tail_consumers ?? null,
  };
}

export function namespaceItem(ns: StoredNamespace): Namespace {
  return { id: ns.id, name: ns.name, script: ns.script, class: ns.className, use_sqlite: ns.sqlite };
}

export function subdomainOf(s: StoredScript): SubdomainResponse {
  return { enabled: s.subdomain.enabled, previews_enabled: s.subdomain.previewsEnabled };
}
