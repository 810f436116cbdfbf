/**
 * The standard Durable Object namespace API under each binding an app
 * declares (`durableObjects: { ROOM: "ChatRoom" }` → `env.ROOM`): ids,
 * `get(id)`, `getByName(name)`, stubs with `id`, `name`, `fetch()` and any
 * RPC method, over the host's objects entrypoint. Runs in the app's isolate
 * and holds no trust: the host checks every id, class and name it is sent.
 */
import { idFromNameHex, isIdOf, uniqueIdHex } from "./object-ids.js";
import { OBJECT_HEADERS, REFUSAL_HEADER } from "./names.js";

/** What the host's objects entrypoint offers a namespace (see data-plane/objects-entrypoint.ts). */
export interface NamespaceApi {
  /** An object's HTTP request, end to end (WebSockets, streams), named by OBJECT_HEADERS. */
  fetch(request: Request): Promise<Response>;
  nsCall(className: string, id: string, name: string | null, method: string, args: unknown[]): Promise<unknown>;
}

/** A Durable Object id: `toString()` is its 64 hex digits; `name` is set for ids made by idFromName. */
export class ObjectId {
  readonly #hex: string;
  readonly #ns: string;
  readonly name: string | undefined;
  constructor(hex: string, ns: string, name?: string) {
    this.#hex = hex;
    this.#ns = ns;
    this.name = name;
  }
  toString(): string {
    return this.#hex;
  }
  equals(other: unknown): boolean {
    return other instanceof ObjectId && other.#hex === this.#hex && other.#ns === this.#ns;
  }
  /** The namespace an id belongs to, for get(): a class name. */
  static namespaceOf(id: ObjectId): string {
    return id.#ns;
  }
}

const refuse = (what: string, why: string): never => {
  throw new TypeError(`${what}: ${why}`);
};

function refuseOptions(what: string, options: unknown): void {
  const o = options as { jurisdiction?: unknown; locationHint?: unknown } | undefined;
  if (o?.jurisdiction !== undefined)
    refuse(what, "jurisdictions are not offered: this platform places an app's objects itself");
  // A location hint is only a hint: Workers may ignore it too, so it is accepted and ignored.
}

/** Any string as a header value: JSON (lone surrogates escaped), then URI-encoded. */
export function headerValue(s: string): string {
  return encodeURIComponent(JSON.stringify(s));
}

/** The inverse of headerValue; null when it is not one. */
export function fromHeaderValue(v: string | null): string | null {
  if (v === null) return null;
  try {
    const s: unknown = JSON.parse(decodeURIComponent(v));
    return typeof s === "string" ? s : null;
  } catch {
    return null;
  }
}

/**
 * Sends a request to an object over the entrypoint's fetch(), with the
 * headers that name it; a refusal of the host comes back as a thrown error,
 * as from a stub on Workers.
 */
export async function objectFetch(
  api: NamespaceApi,
  names: Record<string, string>,
  input: RequestInfo,
  init?: RequestInit,
): Promise<Response> {
  const request = new Request(input, init);
  const headers = new Headers(request.headers);
  for (const h of Object.values(OBJECT_HEADERS)) headers.delete(h);
  for (const [h, v] of Object.entries(names)) headers.set(h, v);
  const res = await api.fetch(new Request(request, { headers }));
  if (res.headers.has(REFUSAL_HEADER)) throw new Error(await res.text());
  return res;
}

function stubFor(api: NamespaceApi, className: string, id: ObjectId): unknown {
  const hex = id.toString();
  const name = id.name ?? null;
  return new Proxy(Object.freeze(Object.create(null)), {
    get(_, prop) {
      if (typeof prop !== "string" || prop === "then") return undefined;
      if (prop === "id") return id;
      if (prop === "name") return id.name;
      if (prop === "fetch") {
        const names: Record<string, string> = { [OBJECT_HEADERS.className]: className, [OBJECT_HEADERS.id]: hex };
        if (name !== null) names[OBJECT_HEADERS.idName] = headerValue(name);
        return (input: RequestInfo, init?: RequestInit) => objectFetch(api, names, input, init);
      }
      return (...args: unknown[]) => api.nsCall(className, hex, name, prop, args);
    },
  });
}

/** `env.<binding>` for one declared binding of class `className`. */
export function namespace(api: NamespaceApi, app: string, binding: string, className: string): object {
  const what = (m: string) => `env.${binding}.${m}()`;
  const ns = {
    idFromName(name: unknown): ObjectId {
      if (typeof name !== "string") refuse(what("idFromName"), "the name must be a string");
      return new ObjectId(idFromNameHex(app, className, name as string), className, name as string);
    },
    newUniqueId(options?: unknown): ObjectId {
      refuseOptions(what("newUniqueId"), options);
      return new ObjectId(uniqueIdHex(app, className), className);
    },
    idFromString(hex: unknown): ObjectId {
      if (!isIdOf(app, className, hex))
        refuse(what("idFromString"), `not an id of this namespace (64 hex digits made by env.${binding})`);
      return new ObjectId(hex as string, className);
    },
    get(id: unknown, options?: unknown): unknown {
      refuseOptions(what("get"), options);
      if (!(id instanceof ObjectId) || ObjectId.namespaceOf(id) !== className)
        refuse(what("get"), `the id must come from env.${binding} (idFromName, newUniqueId or idFromString)`);
      return stubFor(api, className, id as ObjectId);
    },
    getByName(name: unknown, options?: unknown): unknown {
      return ns.get(ns.idFromName(name), options);
    },
    jurisdiction(): never {
      return refuse(
        what("jurisdiction"),
        "jurisdictions are not offered: this platform places an app's objects itself",
      );
    },
  };
  return Object.freeze(ns);
}
