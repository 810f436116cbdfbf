/**
 * A quota cut, beside what the app uses now: for each App update that
 * lowers maxObjects, maxStorageBytes or requestsPerMinute, the app's usage is
 * fetched from the control API (with the control token), so the comment says
 * `maxObjects 20 → 5 (7 objects in use: 2 over the new quota …)` and what
 * the host then does. Without a token the comment says usage was not fetched.
 */
import { ControlClient } from "../control-client/client.js";
import type { AppUsage } from "../shared/control/responses.js";
import { appStateOf, isApp, type AppChange, type PreviewJson } from "./app-changes.js";

const CUT_FIELDS = ["maxObjects", "maxStorageBytes", "requestsPerMinute"] as const;
type CutField = (typeof CUT_FIELDS)[number];

export interface QuotaCut {
  urn: string;
  app: string;
  controlUrl: string | undefined;
  field: CutField;
}

/** The quota cuts of a preview's App updates (a replace starts a new, empty app: nothing to compare). */
export function quotaCuts(preview: PreviewJson): QuotaCut[] {
  const cuts: QuotaCut[] = [];
  for (const s of (preview.steps ?? []).filter((s) => isApp(s) && s.op === "update")) {
    const old = appStateOf(s.oldState?.inputs ?? s.oldState?.outputs);
    const neu = appStateOf(s.newState?.inputs);
    if (!old || !neu) continue;
    for (const field of CUT_FIELDS) {
      const a = old.settings.quota[field];
      const b = neu.settings.quota[field];
      if (b !== undefined && (a === undefined || b < a)) {
        cuts.push({ urn: s.urn, app: neu.name, controlUrl: old.control.url || undefined, field });
      }
    }
  }
  return cuts;
}

export type UsageFetcher = (app: string, controlUrl: string) => Promise<AppUsage>;

/** Usage by step URN for each app with a cut; `note` says why some (or all) could not be fetched. */
export async function collectQuotaUsage(
  preview: PreviewJson,
  opts: { controlToken?: string; controlUrl?: string; fetchUsage?: UsageFetcher },
): Promise<{ usage: Map<string, AppUsage>; note?: string }> {
  const cuts = quotaCuts(preview);
  const usage = new Map<string, AppUsage>();
  if (cuts.length === 0) return { usage };
  const token = opts.controlToken;
  const fetchUsage: UsageFetcher | undefined =
    opts.fetchUsage ??
    (token ? async (app, url) => (await new ControlClient({ url, token, retries: 1 }).usage(app)).usage : undefined);
  if (!fetchUsage) return { usage, note: "Current usage beside quota cuts was not fetched: no control token." };
  const failed: string[] = [];
  for (const c of cuts) {
    const url = opts.controlUrl ?? c.controlUrl;
    if (usage.has(c.urn) || !url) continue;
    try {
      usage.set(c.urn, await fetchUsage(c.app, url));
    } catch (e) {
      failed.push(`\`${c.app}\` (${(e as Error).message.slice(0, 200)})`);
    }
  }
  return failed.length ? { usage, note: `Current usage could not be fetched for ${failed.join(", ")}.` } : { usage };
}

const bytes = (n: number) =>
  n >= 1_000_000 ? `${(n / 1_000_000).toFixed(1)} MB` : n >= 1000 ? `${(n / 1000).toFixed(1)} KB` : `${n} B`;

/** What the app uses of a cut field, and what the host does past the new value; `over` when it is past it. */
export function cutNote(field: string, to: number, u: AppUsage): { note: string; over: boolean } | null {
  if (field === "maxObjects") {
    const over = u.objects.count - to;
    return over > 0
      ? {
          note: `${u.objects.count} objects in use: ${over} over the new quota; they keep working, new ones are refused`,
          over: true,
        }
      : { note: `${u.objects.count} objects in use`, over: false };
  }
  if (field === "maxStorageBytes") {
    const used = u.storedBytes.used;
    return used > to
      ? {
          note: `${bytes(used)} stored: ${bytes(used - to)} over the new quota; writes are refused until it is under`,
          over: true,
        }
      : { note: `${bytes(used)} stored`, over: false };
  }
  if (field === "requestsPerMinute") {
    const last = Math.max(u.requests.lastMinute, u.requests.thisMinute);
    return last > to
      ? { note: `${last} requests in the busiest recent minute: over the new quota, the rest get 429`, over: true }
      : { note: `${last} requests in the busiest recent minute`, over: false };
  }
  return null;
}

/** The change with usage beside each cut quota line (`maxObjects 20 → 5 (…)`), and a warning for each cut below usage. */
export function withUsage(c: AppChange, u: AppUsage | undefined): AppChange {
  if (!u) return c;
  const warnings = [...c.warnings];
  const quota = c.quota.map((line) => {
    const m = /^(\w+) (\d+|default) → (\d+)/.exec(line);
    if (!m) return line;
    const n = cutNote(m[1]!, Number(m[3]), u);
    if (!n || (m[2] !== "default" && Number(m[3]) >= Number(m[2]))) return line;
    if (n.over) warnings.push(`\`${c.app}\`: quota \`${m[1]} ${m[2]} → ${m[3]}\`, but ${n.note}`);
    return `${line} (${n.note})`;
  });
  return { ...c, quota, warnings };
}
