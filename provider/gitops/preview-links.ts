/** The comment's "Live previews" lines: each changed app's preview slot, linked (from `preview deploy --json`). */

/** What `dynamic-workers preview deploy --json` writes (the fields the comment uses). */
export interface PreviewLinks {
  preview: string;
  slots: { app: string; slot: string; url: string; seeded: boolean; expiresAt: string }[];
  failed?: { app: string; message: string }[];
}

/** Markdown lines, or none when there is no preview. */
export function previewLinks(p: PreviewLinks | undefined): string[] {
  if (!p || (p.slots.length === 0 && !p.failed?.length)) return [];
  const until = p.slots.map((s) => s.expiresAt).sort()[0];
  const out = [
    `**Live previews** (\`${p.preview}\`, each with its own empty data${until ? `; removed ${until.slice(0, 16).replace("T", " ")} UTC unless pushed again` : ""}):`,
  ];
  for (const s of p.slots)
    out.push(`- \`${s.app}\`: [${s.slot}](${s.url})${s.seeded ? " (seeded by its seed hook)" : ""}`);
  for (const f of p.failed ?? [])
    out.push(`- \`${f.app}\`: ❌ not deployed: ${f.message.replace(/\s+/g, " ").slice(0, 300)}`);
  return out;
}
