/**
 * Durable Object ids of an app's namespaces, shaped as on Workers: 64 hex
 * digits. The first 56 are the id's body (for idFromName, SHA-256 of the
 * app, class and name; for newUniqueId, random), the last 8 a check of the
 * app, class and body: an id string of another app or class, or a made-up
 * one, fails it and is refused, so an id means nothing outside its
 * namespace. Not a secret: the host keys every object by the app it serves,
 * so no id can name another app's object. Runs in the app's isolate (ids
 * are minted synchronously) and in the host (which checks every id).
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";

const BODY = 56;
const ID_RE = /^[0-9a-f]{64}$/;

/** Digests computed before, by text: an app asks for the same few names again and again (sha256 in JS costs). */
const known = new Map<string, string>();
const KNOWN_MAX = 10_000;

function digest(text: string): string {
  let d = known.get(text);
  if (d === undefined) {
    d = bytesToHex(sha256(utf8ToBytes(text)));
    if (known.size >= KNOWN_MAX) known.clear();
    known.set(text, d);
  }
  return d;
}

function checkOf(app: string, className: string, body: string): string {
  return digest(`check\u0000${app}\u0000${className}\u0000${body}`).slice(0, 64 - BODY);
}

export function idFromNameHex(app: string, className: string, name: string): string {
  const body = digest(`name\u0000${app}\u0000${className}\u0000${name}`).slice(0, BODY);
  return body + checkOf(app, className, body);
}

export function uniqueIdHex(app: string, className: string): string {
  const bytes = new Uint8Array(BODY / 2);
  crypto.getRandomValues(bytes);
  const body = bytesToHex(bytes);
  return body + checkOf(app, className, body);
}

/** Whether `id` is an id of this app's namespace for `className`. */
export function isIdOf(app: string, className: string, id: unknown): id is string {
  return typeof id === "string" && ID_RE.test(id) && checkOf(app, className, id.slice(0, BODY)) === id.slice(BODY);
}
