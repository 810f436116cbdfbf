/**
 * Size caps of what the control API stores: code, env and source files.
 * Runs in Node and in workerd.
 */
/**
 * Size caps, kept below the runtime's hard limits so a user gets our message
 * instead of an opaque runtime failure: workerd caps a worker's code at
 * 64 MiB and its serialized `env` at 1 MiB, and one Workers RPC message at
 * 32 MiB (modules travel from AppControl to the loader over RPC).
 */
export const LIMITS = {
  /** Sum of all module sizes of one version, in bytes (decoded). */
  maxCodeBytes: 24 * 1024 * 1024,
  /** Modules in one version. */
  maxModules: 1000,
  /** Durable Object namespace bindings per version (`durableObjects`). */
  maxDurableObjectBindings: 16,
  /** Length of a module name. */
  maxModuleNameLength: 256,
  /** The app's `env` vars, JSON-serialized, in bytes. */
  maxEnvBytes: 512 * 1024,
  /** Number of env vars. */
  maxEnvVars: 128,
  /** Compatibility flags per version. */
  maxCompatibilityFlags: 64,
  /** Length of an object name passed to `env.OBJECTS.get(name)`. */
  maxObjectNameLength: 256,
} as const;

/**
 * A version's source files: what went into its bundle, kept beside the
 * version for reading (the pull-request comment's diffs), never loaded into
 * the app's isolate and not part of the version hash.
 */
export const SOURCE_LIMITS = {
  /** Files per version. */
  maxFiles: 1000,
  /** Length of a file's path. */
  maxPathLength: 512,
  /** Sum of all files' UTF-8 bytes of one version. */
  maxBytes: 8 * 1024 * 1024,
} as const;
