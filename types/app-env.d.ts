// What the host gives every app in `env`: its own objects, and its vars.
// Apps written in TypeScript include this file (see examples/*/apps/tsconfig.json).
interface AppObjectStub {
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /** Any public method of the app's Durable Object class, called over RPC. */
  // biome-ignore lint/suspicious/noExplicitAny: an app's own methods take and return what the app decides.
  [method: string]: any;
}

interface AppObjects {
  /** The object `name` of this app: its own SQLite database, created on first use. */
  get(name: string): AppObjectStub;
  /** Deletes the object and its database, freeing its slot in the quota. */
  delete(name: string): Promise<boolean>;
}

interface AppEnv {
  OBJECTS: AppObjects;
  [name: string]: unknown;
}
