/**
 * resources/app/: the App resource. resource.ts (this file) is what a program declares; provider.ts the
 * engine's provider, over check.ts (check, diff) and ops.ts (create, update, read, delete); state.ts the
 * state and its one reader.
 *
 * App: one AI app's code and quota, as a Pulumi dynamic resource
 * (`pulumi-nodejs:dynamic/dynamic-workers:App`). The program bundles the
 * source (so a syntax error fails `pulumi preview` with file:line:column),
 * stores the bundle in the content-addressed cache and hands the engine
 * only hashes and settings; the provider rolls it out through the host's
 * control API (ops.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { providerSource } from "../provider-text.js";
import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { storedCode, storedSettings, type AppCode, type StoredAppState } from "./state.js";
import type { Bundle } from "../../bundle/bundle-app.js";
import { bundleAppCached } from "../../bundle/bundle-cache.js";
import { inlineModuleFacts } from "../../bundle/inline-modules.js";
import { readableFailure, refuseBadInputs, refuseIfCannotStart, refusal } from "./refusals.js";
import { containsOutput, resolvedParts } from "./input-args.js";
import { withPlatformParent } from "./resource-options.js";
import { type WranglerArgs, WranglerConfigError, readWranglerConfig } from "../../bundle/wrangler-config.js";
import type { ModuleOptions } from "../../bundle/module-rules.js";
import { prepareVersion } from "../../control-client/client.js";
import { moduleCache } from "./ops.js";
import type { Platform } from "../platform/component.js";
import { settingValues, type AppSettingArgs, type ModuleType, type VersionAssets } from "../../shared/schema/index.js";
import { mergeAssets, prepareAssets, type AppAssetsArgs } from "./assets-args.js";

/** One module given inline instead of a source folder. */
export interface InlineModule {
  type: ModuleType;
  /** UTF-8 text, or base64 for `data` and `wasm`. */
  content: string;
}

/** An App's arguments: its code, where it runs, and its settings (quota, outbound, logs, dataOnDelete, tags: see APP_SETTINGS). */
export interface AppArgs extends AppSettingArgs {
  /** The platform the app runs on. Give this, or `controlUrl` and `controlToken`. */
  platform?: Platform;
  /** The host's control URL, when not given `platform`. */
  controlUrl?: pulumi.Input<string>;
  /** The host's control token (secret), when not given `platform`. */
  controlToken?: pulumi.Input<string>;
  /** The app's name on the platform (a DNS label). @default the resource name */
  name?: string;
  /** A folder holding an entry file (index.ts, index.js, src/index.ts, …), or an entry file; bundled with esbuild. */
  source?: string;
  /** Modules given inline instead of `source`; `mainModule` names the entry. */
  modules?: Record<string, InlineModule>;
  /** The entry among inline `modules`. @default "index.js" */
  mainModule?: string;
  /** The exported Durable Object class behind `env.OBJECTS` (the platform's own API). @default none */
  durableObject?: string;
  /**
   * Durable Object namespace bindings, as in wrangler: binding name in `env`
   * → exported class (`{ ROOM: "ChatRoom" }` gives `env.ROOM.getByName(…)`).
   * One `maxObjects` counts the objects of every class. @default {}
   */
  durableObjects?: Record<string, string>;
  /** @default "2026-07-01" */
  compatibilityDate?: string;
  /** @default [] */
  compatibilityFlags?: string[];
  /** Plain vars in the app's env. @default {} */
  env?: Record<string, string>;
  /**
   * Secret vars in the app's env; kept secret in state. The version hash
   * covers them only through a digest keyed with the platform's secrets key,
   * so neither the hash nor any answer of the control API gives a value
   * away. @default {}
   */
  secrets?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** The platform's `secretsKey` output (secret), for an app with `secrets` given `controlUrl` instead of `platform`. */
  secretsKey?: pulumi.Input<string>;
  /**
   * Static assets served before the app's code, as Workers Static Assets
   * serves them; each field given overrides the Wrangler file's `assets`. @default none
   */
  assets?: AppAssetsArgs;
}

/** AppArgs with each argument (and member)  a `pulumi.Input` (the platform aside, a resource already). */
export type AppInputs = {
  [K in keyof AppArgs]: K extends "platform"
    ? AppArgs[K]
    : pulumi.Input<DeepInput<NonNullable<AppArgs[K]>>> | undefined;
};

/** A value whose members may be Inputs too (`env: { KEY: output }`). */
type DeepInput<T> = T extends string | number | boolean
  ? T
  : T extends readonly (infer E)[]
    ? pulumi.Input<DeepInput<E>>[]
    : { [K in keyof T]: pulumi.Input<DeepInput<T[K]>> };

export const APP_DEFAULT_COMPATIBILITY_DATE = "2026-07-01";

/** The code's hashes for state, and its contents for the version hash (never stored). */
type PreparedCode = Pick<AppCode, "mainModule" | "modules" | "source" | "assets"> & {
  contents: Record<string, InlineModule>;
};

let projectFolderOf: { cwd: string; folder: string | null } | undefined;

/**
 * The program's project folder, which the engine runs the App provider in:
 * the working folder, when it holds this project's Pulumi.yaml (the CLI,
 * and the Automation API with a local program, run programs there). null
 * for a program run elsewhere (an inline Automation API program: its
 * provider runs in the workspace's folder, which the program cannot know).
 */
function programProjectFolder(): string | null {
  const cwd = process.cwd();
  if (projectFolderOf?.cwd === cwd) return projectFolderOf.folder;
  const file = ["Pulumi.yaml", "Pulumi.yml"].map((f) => join(cwd, f)).find((f) => existsSync(f));
  const name = file && /^name:\s*["']?([^"'\s#]+)/m.exec(readFileSync(file, "utf8"))?.[1];
  const folder = name !== undefined && name === pulumi.runtime.getProject() ? cwd : null;
  projectFolderOf = { cwd, folder };
  return folder;
}

/**
 * The App's arguments over what the source folder's Wrangler file says
 * (bundle/wrangler-config.ts): each argument given overrides the file's
 * field; `env` adds to the file's `vars`, and `quota` to its `limits`.
 */
function withWranglerConfig(name: string, args: AppArgs): AppArgs & { moduleOptions?: ModuleOptions } {
  if (args.source === undefined) return args;
  let w: WranglerArgs | null;
  try {
    w = readWranglerConfig(args.source);
  } catch (e) {
    if (e instanceof WranglerConfigError)
      throw new Error(`App '${name}': ${args.source.replace(/\/$/, "")}/${e.message}`);
    throw e;
  }
  if (!w) return args;
  if (w.ignored.length) {
    pulumi.log.warn(`App '${name}': ${w.file}: ${w.ignored.join(", ")} read and ignored (the platform decides them)`);
  }
  return {
    ...args,
    source: w.main !== undefined ? join(args.source, w.main) : args.source,
    compatibilityDate: args.compatibilityDate ?? w.compatibilityDate,
    compatibilityFlags: args.compatibilityFlags ?? w.compatibilityFlags,
    durableObjects: args.durableObjects ?? w.durableObjects,
    env: w.env || args.env ? { ...w.env, ...args.env } : undefined,
    quota: w.cpuMs !== undefined ? { cpuMs: w.cpuMs, ...args.quota } : args.quota,
    assets: mergeAssets(args.assets, w.assets, args.source, w.file),
    crons: args.crons ?? w.crons,
    ...(w.moduleOptions && { moduleOptions: w.moduleOptions }),
  };
}

/** Bundles (or takes inline modules), caches the contents, and returns only hashes. */
async function prepareCode(
  name: string,
  args: AppArgs & { moduleOptions?: ModuleOptions },
  assets: VersionAssets | null,
): Promise<PreparedCode> {
  const project = programProjectFolder();
  const cache = moduleCache(project);
  let bundle: Pick<Bundle, "modules" | "mainModule"> & { root?: string; entry?: string };
  const spec = {
    durableObject: args.durableObject ?? null,
    durableObjects: args.durableObjects ?? {},
    compatibilityFlags: args.compatibilityFlags ?? [],
  };
  let facts: Pick<Bundle, "exports" | "nodeImports"> | null;
  if (args.source !== undefined) {
    bundle = facts = await bundleAppCached(args.source, cache, args.moduleOptions);
  } else {
    bundle = { modules: args.modules ?? {}, mainModule: args.mainModule ?? "index.js" } as never;
    facts = await inlineModuleFacts(bundle.modules, bundle.mainModule);
  }
  const modules: AppCode["modules"] = {};
  for (const [moduleName, m] of Object.entries(bundle.modules) as [string, InlineModule][]) {
    const bytes =
      m.type === "data" || m.type === "wasm" ? Buffer.from(m.content, "base64") : Buffer.from(m.content, "utf8");
    modules[moduleName] = { type: m.type, sha256: cache.put(bytes), size: bytes.byteLength };
  }
  if (Object.keys(modules).length === 0) throw refusal(`App '${name}': no modules (give 'source' or 'modules')`);
  const named = (m: string) => (args.source !== undefined ? `${m} (bundled from ${args.source})` : m);
  refuseIfCannotStart(
    name,
    facts,
    { ...spec, entry: args.source !== undefined ? "source" : "mainModule" },
    Object.fromEntries(Object.entries(modules).map(([m, v]) => [named(m), v])),
  );
  return {
    assets,
    mainModule: bundle.mainModule,
    modules,
    contents: bundle.modules as Record<string, InlineModule>,
    // Relative to the project folder, so state is the same on every machine; absolute when the program
    // does not know the folder its provider runs in (it resolves there all the same).
    source:
      bundle.root !== undefined
        ? { root: project === null ? bundle.root : relative(project, bundle.root) || ".", entry: bundle.entry! }
        : null,
  };
}

/** The code's hashes and settings, without the version hash. */
function codeFields({ contents: _, ...prepared }: PreparedCode, args: AppArgs): Omit<AppCode, "versionHash"> {
  return {
    ...prepared,
    compatibilityDate: args.compatibilityDate ?? APP_DEFAULT_COMPATIBILITY_DATE,
    compatibilityFlags: args.compatibilityFlags ?? [],
    durableObject: args.durableObject ?? null,
    durableObjects: args.durableObjects ?? {},
    env: args.env ?? {},
  };
}

/** The version hash of the whole (see shared/version-hash.ts); secrets need the platform's key. */
async function versionHashOf(
  prepared: PreparedCode,
  args: AppArgs,
  secrets: Record<string, string> = {},
  secretsKey?: string,
): Promise<string> {
  const { source: _, ...spec } = codeFields(prepared, args);
  return (await prepareVersion({ ...spec, modules: prepared.contents, secrets }, secretsKey)).versionHash;
}

/** The `code` input: the code's hashes and settings with its version hash. */
function codeInput(prepared: Promise<PreparedCode>, args: AppArgs, secretsKey: pulumi.Output<string> | undefined) {
  if (args.secrets === undefined || secretsKey === undefined) {
    return pulumi.output(
      prepared.then(async (c) => storedCode({ versionHash: await versionHashOf(c, args), ...codeFields(c, args) })),
    );
  }
  // The hash of a version with secrets is public (shown in previews): without the platform's key nobody
  // can test a guess of a secret against it. Only the hash waits for the key, which a preview that
  // creates or changes the platform does not know yet; the modules show at once.
  const secrets = pulumi.output(args.secrets);
  return prepared.then((c) => ({
    ...storedCode({ versionHash: "", ...codeFields(c, args) }),
    versionHash: pulumi.unsecret(
      pulumi.all([secrets, secretsKey]).apply(([sec, key]) => versionHashOf(c, args, sec, key)),
    ),
  }));
}

/** The App's inputs as the program knows them, for its checks (secrets by name only). */
function knownInputs(
  name: string,
  c: PreparedCode,
  args: AppArgs,
  settings: StoredAppState["settings"],
  maxQuota: StoredAppState["control"]["maxQuota"],
): StoredAppState {
  const secrets = args.secrets;
  const secretNames = secrets && !pulumi.Output.isInstance(secrets) ? Object.keys(secrets) : [];
  return {
    name,
    code: storedCode({ versionHash: "", ...codeFields(c, args) }),
    ...(settings ? { settings } : {}),
    ...(secretNames.length ? { secrets: Object.fromEntries(secretNames.map((k) => [k, ""])) } : {}),
    control: { url: "", ...(maxQuota ? { maxQuota } : {}) },
    controlToken: "",
  };
}

/** Arguments that contradict each other, refused before anything is made. */
function checkArgs(name: string, args: AppArgs): void {
  if ((args.source === undefined) === (args.modules === undefined)) {
    throw new Error(`App '${name}': give exactly one of 'source' (a folder or entry file) and 'modules' (inline)`);
  }
  if (!args.platform && (args.controlUrl === undefined || args.controlToken === undefined)) {
    throw new Error(`App '${name}': give 'platform', or both 'controlUrl' and 'controlToken'`);
  }
  if (args.platform && (args.controlUrl !== undefined || args.controlToken !== undefined)) {
    throw new Error(`App '${name}': give 'platform' or 'controlUrl'/'controlToken', not both`);
  }
  if (args.secrets !== undefined && !args.platform && args.secretsKey === undefined) {
    throw new Error(
      `App '${name}': 'secrets' without 'platform' need 'secretsKey' (the platform's secretsKey output), which the version hash digests them with`,
    );
  }
  if (args.platform && args.secretsKey !== undefined) {
    throw new Error(`App '${name}': give 'platform' or 'secretsKey', not both (the platform has its key)`);
  }
}

/** The App's name, code and settings inputs, from plain arguments; each Output only as the inputs need. */
function appParts(
  name: string,
  appArgs: AppArgs,
  secretsKey: pulumi.Output<string> | undefined,
  maxQuota: StoredAppState["control"]["maxQuota"],
): { appName: string; code: unknown; settings: StoredAppState["settings"] } {
  const args = withWranglerConfig(name, appArgs);
  const appName = args.name ?? name;
  // State leaves out every field at its default (see StoredAppState): what the engine reads, diffs and writes per App.
  const settings = storedSettings(settingValues(args));
  // Read now, so a bad assets folder fails the program where it declares the App.
  const assets = prepareAssets(appName, args, moduleCache(programProjectFolder()));
  const prepared = prepareCode(appName, args, assets).then(
    (c) => {
      refuseBadInputs(appName, knownInputs(appName, c, args, settings, maxQuota));
      return c;
    },
    (e) => Promise.reject(readableFailure(appName, e)),
  );
  return { appName, code: codeInput(prepared, args, secretsKey), settings };
}

export class App extends pulumi.CustomResource {
  /** The app's name on the platform. */
  declare readonly name: pulumi.Output<string>;
  /** The code as hashes, with its version hash. */
  declare readonly code: pulumi.Output<StoredAppState["code"]>;
  private readonly where: { platform?: Platform; controlUrl: pulumi.Output<string>; appName: pulumi.Input<string> };
  private derived: {
    versionHash?: pulumi.Output<string>;
    modules?: pulumi.Output<AppCode["modules"]>;
    url?: pulumi.Output<string>;
  } = {};

  constructor(name: string, appArgs: AppArgs | AppInputs, opts: pulumi.CustomResourceOptions = {}) {
    checkArgs(name, appArgs as AppArgs);
    // Registering a resource, the SDK captures a stack trace for each promise
    // it makes (about 30 per App, kept only for its leak reports), and the
    // source-map hook makes each cost ~0.1 ms: a tenth of a fleet's preview.
    // Its own record of where the resource was declared sets its own limit.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 1;
    try {
      const args = appArgs as AppArgs;
      const maxQuota =
        args.platform && Object.keys(args.platform.maxQuota).length > 0 ? args.platform.maxQuota : undefined;
      const secretsKey =
        args.secrets === undefined
          ? undefined
          : pulumi.secret(args.platform ? args.platform.secretsKey : pulumi.output(args.secretsKey!));
      // Plain arguments take the path with the fewest promises (a fleet's preview); Outputs resolve first.
      const { appName, code, settings } = containsOutput(appArgs)
        ? resolvedParts(appArgs, (plain: AppArgs) => appParts(name, plain, secretsKey, maxQuota))
        : appParts(name, args, secretsKey, maxQuota);
      const controlUrl = args.platform ? args.platform.controlUrl : pulumi.output(args.controlUrl!);
      // A property left out, not set to undefined: the SDK makes its promises for every key it is given.
      const state: { [K in keyof StoredAppState]: unknown } = {
        name: appName,
        code,
        ...(settings ? { settings } : {}),
        // No secrets, no property: one secret fewer per App for the engine to encrypt and decrypt.
        ...(args.secrets !== undefined ? { secrets: pulumi.secret(args.secrets), secretsKey } : {}),
        control: { url: controlUrl, ...(maxQuota ? { maxQuota } : {}) },
        // The platform's token is a secret Output already, shared by all its apps.
        controlToken: args.platform ? args.platform.controlToken : pulumi.secret(args.controlToken!),
      };
      super(
        "pulumi-nodejs:dynamic/dynamic-workers:App",
        name,
        { ...state, __provider: providerSource("app", "appProvider") },
        {
          ...withPlatformParent(args.platform, opts, typeof args.name === "string" ? args.name : name),
          additionalSecretOutputs: ["controlToken", "secrets", "secretsKey"],
        },
      );
      this.where = { platform: args.platform, controlUrl, appName };
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
  }

  // Derived, not stored, and made on first use: a fleet's program reads few of them.

  /** The deployed version: see shared/version-hash.ts for the rule. */
  get versionHash(): pulumi.Output<string> {
    return (this.derived.versionHash ??= this.code.apply((c) => c.versionHash));
  }

  /** Module name to its type, sha256 and size. */
  get modules(): pulumi.Output<AppCode["modules"]> {
    return (this.derived.modules ??= this.code.apply((c) => c.modules));
  }

  /** Where the app answers (known once the app exists). */
  get url(): pulumi.Output<string> {
    if (!this.derived.url) {
      const { platform, controlUrl, appName } = this.where;
      const url = platform
        ? pulumi.output(appName).apply((n) => platform.appsUrl(n))
        : pulumi.interpolate`${controlUrl}/apps/${appName}/`;
      this.derived.url = pulumi.all([this.id, url]).apply(([, u]) => u);
    }
    return this.derived.url;
  }
}
