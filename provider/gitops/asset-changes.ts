/**
 * The comment's "Static assets" section: per changed app, the asset files
 * added, changed (new content) and removed, read from the App's state
 * (path → sha256), so the preview alone says what a deploy will serve.
 * Long lists are cut to a few paths and a count.
 */
import type { AppState } from "../resources/app/state.js";

export interface AssetChanges {
  added: string[];
  changed: string[];
  removed: string[];
}

/** Paths shown per kind and app before the rest is counted. */
const SHOWN = 15;

/** What changes in an app's assets; null when nothing does (or it has none before or after). */
export function assetChanges(old: AppState | undefined, neu: AppState | undefined): AssetChanges | null {
  const before = old?.code.assets?.files ?? {};
  const after = neu?.code.assets?.files ?? {};
  const added = Object.keys(after).filter((p) => !(p in before));
  const removed = Object.keys(before).filter((p) => !(p in after));
  const changed = Object.keys(after).filter((p) => p in before && before[p]!.sha256 !== after[p]!.sha256);
  if (added.length + removed.length + changed.length === 0) return null;
  return { added: added.sort(), changed: changed.sort(), removed: removed.sort() };
}

/** "+2 ~1 −0" for the table's code cell. */
export function assetCounts(c: AssetChanges): string {
  return `assets +${c.added.length} ~${c.changed.length} −${c.removed.length}`;
}

const list = (paths: string[]) => {
  const shown = paths.slice(0, SHOWN).map((p) => `\`${p.replace(/`/g, "ʼ")}\``);
  return paths.length > SHOWN ? `${shown.join(", ")} and ${paths.length - SHOWN} more` : shown.join(", ");
};

/** The section's Markdown, or "" when no app's assets change. */
export function renderAssetChanges(apps: { app: string; assets?: AssetChanges | null }[]): string {
  const out: string[] = [];
  for (const { app, assets } of apps) {
    if (!assets) continue;
    out.push(`- \`${app}\`:`);
    if (assets.added.length) out.push(`  - added (${assets.added.length}): ${list(assets.added)}`);
    if (assets.changed.length) out.push(`  - changed (${assets.changed.length}): ${list(assets.changed)}`);
    if (assets.removed.length) out.push(`  - removed (${assets.removed.length}): ${list(assets.removed)}`);
  }
  return out.length ? `#### Static assets\n\n${out.join("\n")}\n` : "";
}
