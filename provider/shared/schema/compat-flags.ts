/**
 * The compatibility flags workerd knows, read from the workerd package this
 * project depends on (compat-flags.generated.ts, written at build time by
 * scripts/gen-compat-flags.mjs), and the rules an app's flags must follow to
 * load: known, not experimental (Cloudflare refuses experimental flags for
 * deployed Workers), and not both the enable and the disable flag of one
 * behaviour. Runs in Node and in workerd.
 */
import { WORKERD_COMPAT_FIELDS, WORKERD_VERSION } from "./compat-flags.generated.js";

export { WORKERD_VERSION };

/** What workerd knows about one flag name. */
export interface WorkerdFlag {
  /** The CompatibilityFlags field it sets (one behaviour; its enable and disable flags share it). */
  field: string;
  /** Whether it turns the behaviour on, or off. */
  turns: "on" | "off";
  /** The other flag of the same field, if there is one. */
  opposite: string | null;
  /** Only for workerd run with --experimental; Cloudflare refuses it. */
  experimental: boolean;
}

export const WORKERD_FLAGS: ReadonlyMap<string, WorkerdFlag> = new Map(
  WORKERD_COMPAT_FIELDS.flatMap(
    ([field, enable, disable, , experimental]): [string, WorkerdFlag][] =>
      [
        ...(enable ? [[enable, { field, turns: "on", opposite: disable, experimental: experimental === 1 }]] : []),
        // A disable flag turns off what the date turned on: it is usable even when its field is experimental.
        ...(disable ? [[disable, { field, turns: "off", opposite: enable, experimental: false }]] : []),
      ] as [string, WorkerdFlag][],
  ),
);

/** Why workerd (or Cloudflare) would refuse to load an app with this flag, or undefined when it would not. */
export function workerdFlagProblem(flag: string): string | undefined {
  const known = WORKERD_FLAGS.get(flag);
  if (!known) {
    const near = nearestFlag(flag);
    return (
      `'${flag}' is not a compatibility flag workerd ${WORKERD_VERSION} knows` +
      (near ? ` (did you mean '${near}'?)` : "") +
      "; a newer flag needs a newer pulumi-dynamic-workers"
    );
  }
  if (known.experimental) {
    return `'${flag}' is an experimental compatibility flag: Cloudflare refuses experimental flags for the Workers deployed to it, so the app would not load`;
  }
  return undefined;
}

/** Pairs of flags in the list that set one behaviour both on and off (workerd: "mutually contradictory"). */
export function contradictoryFlags(flags: readonly string[]): { at: number; flag: string; opposite: string }[] {
  const names = new Set(flags);
  const out: { at: number; flag: string; opposite: string }[] = [];
  for (const [at, flag] of flags.entries()) {
    const known = WORKERD_FLAGS.get(flag);
    // Reported once, at the flag that turns the behaviour off.
    if (known?.turns === "off" && known.opposite && names.has(known.opposite))
      out.push({ at, flag, opposite: known.opposite });
  }
  return out;
}

/** The other flag of `flag`'s behaviour (e.g. enable_ctx_exports for disable_ctx_exports). */
export function oppositeFlag(flag: string): string | null {
  return WORKERD_FLAGS.get(flag)?.opposite ?? null;
}

/** A known flag within two edits of `flag`, for the message. */
function nearestFlag(flag: string): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const name of WORKERD_FLAGS.keys()) {
    if (Math.abs(name.length - flag.length) > 2) continue;
    const d = editDistance(flag, name);
    if (d <= 2 && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
