/**
 * The account the local target serves: its scripts and namespaces, changed
 * one request at a time. An upload is checked as Cloudflare checks it, run
 * on workerd with every other script, and only then committed to the state
 * folder; if workerd refuses it, the previous scripts are put back.
 */
import { bindingKind, isRunBinding } from "./bindings/index.js";
import { CfApiError } from "./errors.js";
import { planUploadMigrations } from "./upload-migrations.js";
import { type Runtime, RuntimeStartError } from "./runtime.js";
import {
  newId,
  sha256HexSync,
  type StateStore,
  type LocalState,
  type StoredNamespace,
  type StoredSchedule,
  type StoredScript,
} from "./state.js";
import type { ParsedUpload } from "./upload.js";
import { workerOptions } from "./worker-options.js";
import type { InheritBinding, LocalBinding } from "./metadata-schema.js";
import { checkEnvironmentVariables } from "./size-limits.js";

/** Cloudflare's Worker names: lowercase letters, digits, '-' and '_'; here also a hostname label. */
const SCRIPT_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export function checkScriptName(name: string): void {
  if (!SCRIPT_NAME.test(name)) {
    throw new CfApiError(
      "script_name_invalid",
      `Invalid Worker name '${name}': use 1 to 63 lowercase letters, digits, '-' or '_', starting with a letter or digit`,
    );
  }
}

export class Account {
  private state: LocalState;
  private queue: Promise<unknown> = Promise.resolve();
  readonly store: StateStore;
  readonly runtime: Runtime;
  private readonly log: (line: string) => void;
  private readonly onNewScript: (name: string) => void;

  constructor(
    store: StateStore,
    runtime: Runtime,
    log: (line: string) => void,
    onNewScript: (name: string) => void = () => {},
  ) {
    this.store = store;
    this.runtime = runtime;
    this.log = log;
    this.onNewScript = onNewScript;
    this.state = store.load();
  }

  /** Starts workerd with the stored scripts. */
  async start(): Promise<void> {
    try {
      await this.runtime.apply(this.workersOf(this.state));
    } catch (e) {
      throw new Error(`the scripts stored in ${this.store.dir} failed to start on workerd: ${(e as Error).message}`);
    }
  }

  /** The committed state; callers must not mutate it. */
  snapshot(): Readonly<LocalState> {
    return this.state;
  }

  script(name: string): StoredScript {
    const script = this.state.scripts[name];
    if (!script)
      throw new CfApiError("script_not_found", `This Worker does not exist on your account: no script named '${name}'`);
    return script;
  }

  upload(name: string, upload: ParsedUpload): Promise<{ script: StoredScript; startupMs: number }> {
    checkScriptName(name);
    return this.exclusive(async () => {
      const prev = this.state.scripts[name];
      const { migrations, keep_bindings, ...rest } = upload.metadata;
      const bindings = keptBindings(rest.bindings ?? [], keep_bindings ?? [], prev);
      const now = new Date().toISOString();
      const plan = planUploadMigrations({
        script: name,
        namespaces: this.state.namespaces,
        currentTag: prev?.migrationTag,
        migrations,
        bindings,
        now,
      });
      checkBindings(name, bindings, plan.namespaces);
      const stored = bindings.filter((b) => !isRunBinding(b)).map((b) => `${b.name} (${b.type})`);
      if (stored.length) this.log(`${name}: bindings stored but not run locally: ${stored.join(", ")}`);
      const modules = upload.modules.map((m) => ({
        name: m.name,
        contentType: m.contentType,
        sha256: this.store.putModule(m.bytes),
        size: m.bytes.byteLength,
      }));
      const metadata = { ...rest, bindings };
      const script: StoredScript = {
        name,
        tag: prev?.tag ?? newId(),
        etag: sha256HexSync(JSON.stringify({ metadata, modules })),
        createdOn: prev?.createdOn ?? now,
        modifiedOn: now,
        metadata,
        modules,
        ...(plan.migrationTag !== undefined ? { migrationTag: plan.migrationTag } : {}),
        subdomain: prev?.subdomain ?? { enabled: false, previewsEnabled: false },
        ...(prev?.schedules ? { schedules: prev.schedules } : {}),
      };
      const next: LocalState = {
        ...this.state,
        scripts: { ...this.state.scripts, [name]: script },
        namespaces: plan.namespaces,
      };
      const started = performance.now();
      try {
        await this.run(next, name);
      } catch (e) {
        this.store.collectModules(this.state);
        throw e;
      }
      const startupMs = Math.round(performance.now() - started);
      this.commit(next);
      for (const ns of plan.deleted) this.store.removeNamespaceData(ns.id);
      if (prev) this.store.collectModules(next);
      if (!prev) this.onNewScript(name);
      return { script, startupMs };
    });
  }

  remove(name: string, force: boolean): Promise<void> {
    return this.exclusive(async () => {
      this.script(name);
      const own = this.state.namespaces.filter((ns) => ns.script === name);
      const users = Object.values(this.state.scripts).filter(
        (s) =>
          s.name !== name &&
          (s.metadata.bindings ?? []).some((b) => b.type === "durable_object_namespace" && b.script_name === name),
      );
      if (users.length && !force) {
        throw new CfApiError(
          "script_in_use",
          `Cannot delete script '${name}': ${users.map((s) => `'${s.name}'`).join(", ")} bind its Durable Object classes; delete with force=true to delete it anyway`,
        );
      }
      const { [name]: _removed, ...scripts } = this.state.scripts;
      const next: LocalState = {
        ...this.state,
        scripts,
        namespaces: this.state.namespaces.filter((ns) => ns.script !== name),
      };
      await this.run(next);
      this.commit(next);
      // Cloudflare deletes a script's namespaces, and their objects, with it.
      for (const ns of own) this.store.removeNamespaceData(ns.id);
      this.store.collectModules(next);
    });
  }

  setSubdomain(name: string, enabled: boolean, previewsEnabled: boolean): Promise<StoredScript> {
    return this.exclusive(async () => {
      const script = { ...this.script(name), subdomain: { enabled, previewsEnabled } };
      this.commit({ ...this.state, scripts: { ...this.state.scripts, [name]: script } });
      return script;
    });
  }

  /** Replaces the script's cron triggers (checked by the caller, local/schedules.ts). */
  setSchedules(name: string, schedules: StoredSchedule[]): Promise<StoredScript> {
    return this.exclusive(async () => {
      const script = { ...this.script(name), schedules };
      this.commit({ ...this.state, scripts: { ...this.state.scripts, [name]: script } });
      return script;
    });
  }

  /** Runs `next` on workerd; on a refusal puts the committed scripts back and throws Cloudflare's error. */
  private async run(next: LocalState, changed?: string): Promise<void> {
    const restore = async () => {
      try {
        await this.runtime.apply(this.workersOf(this.state));
      } catch (e) {
        this.log(`could not restore the previous scripts on workerd: ${(e as Error).message}`);
      }
    };
    let missing: string[];
    try {
      ({ missingClasses: missing } = await this.runtime.apply(this.workersOf(next)));
    } catch (e) {
      if (!(e instanceof RuntimeStartError)) throw e;
      await restore();
      throw new CfApiError("script_invalid", `the script failed to start on workerd: ${e.message}`);
    }
    const own = missing.filter((c) => next.namespaces.some((ns) => ns.script === changed && ns.className === c));
    if (own.length) {
      await restore();
      throw new CfApiError(
        "do_class_not_exported",
        `New version of script '${changed}' does not export class '${own[0]}' which is depended on by existing Durable Objects; ` +
          `export it, or apply a deleted_classes (or renamed_classes) migration`,
      );
    }
  }

  private workersOf(state: LocalState) {
    return Object.values(state.scripts)
      .sort((a, b) => a.createdOn.localeCompare(b.createdOn) || a.name.localeCompare(b.name))
      .map((s) => workerOptions(s, state.namespaces, (sha) => this.store.readModule(sha)));
  }

  private commit(next: LocalState): void {
    this.store.save(next);
    this.state = next;
  }

  /** Resolves once no change is under way. */
  async drain(): Promise<void> {
    await this.queue.catch(() => undefined);
  }

  /** One change at a time: each sees the state the previous one committed. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.catch(() => undefined).then(fn);
    this.queue = run;
    return run;
  }
}

/**
 * keep_bindings: the previous upload's bindings of the listed types, unless
 * this upload names them; inherit: the previous upload's binding of that
 * name (or old_name), renamed (SDK: WorkersBindingKindInherit).
 */
function keptBindings(
  bindings: (LocalBinding | InheritBinding)[],
  keep: string[],
  prev: StoredScript | undefined,
): LocalBinding[] {
  const before = prev?.metadata.bindings ?? [];
  const own = bindings.map((b): LocalBinding => {
    if (b.type !== "inherit") return b;
    const from = b.old_name ?? b.name;
    const found = before.find((p) => p.name === from);
    if (!found) {
      throw new CfApiError(
        "script_invalid",
        `binding '${b.name}' inherits '${from}', but the previous version of this script has no binding of that name`,
      );
    }
    return { ...found, name: b.name } as LocalBinding;
  });
  if (keep.length === 0) return own;
  const named = new Set(own.map((b) => b.name));
  return [...own, ...before.filter((b) => keep.includes(b.type) && !named.has(b.name))];
}

/** Each binding name once, and each binding valid for its kind (a Durable Object class must have a namespace). */
function checkBindings(
  script: string,
  bindings: readonly LocalBinding[],
  namespaces: readonly StoredNamespace[],
): void {
  checkEnvironmentVariables(bindings);
  const names = new Set<string>();
  for (const b of bindings) {
    if (names.has(b.name)) throw new CfApiError("script_invalid", `binding name '${b.name}' is used more than once`);
    names.add(b.name);
  }
  for (const b of bindings) {
    const refusal = bindingKind(b).check(b, { script, namespaces });
    if (refusal) throw refusal;
  }
}
