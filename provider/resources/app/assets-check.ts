/**
 * The App check's part for static assets, at preview: the asset table is
 * valid, its binding takes no other binding's name, and its total fits the
 * app's maxAssetBytes (declared, else the default under the platform's
 * ceiling). The host checks the same again when it stores the version.
 */
import {
  QUOTA_DEFAULTS,
  QuotaInput,
  VersionAssets,
  assetBindingClash,
  assetTotals,
  formatBytes,
  formatIssues,
} from "../../shared/schema/index.js";
/** One failure, as check() reports them. */
type CheckFailure = { property: string; reason: string };

export function assetFailures(
  app: string,
  raw: unknown,
  others: { durableObjects?: Record<string, string>; env?: Record<string, string>; secrets?: Record<string, string> },
  quota: unknown,
  maxQuota: QuotaInput | null | undefined,
): CheckFailure[] {
  const parsed = VersionAssets.safeParse(raw);
  if (!parsed.success) {
    return formatIssues(parsed.error, "assets").map((i) => ({ property: "assets", reason: `${i.path}: ${i.message}` }));
  }
  const failures: CheckFailure[] = [];
  const clash = assetBindingClash(parsed.data.binding, others);
  if (clash) failures.push({ property: "assets.binding", reason: clash });
  const declared = QuotaInput.safeParse(quota).data?.maxAssetBytes;
  const ceiling = maxQuota?.maxAssetBytes;
  const limit = declared ?? Math.min(QUOTA_DEFAULTS.maxAssetBytes, ceiling ?? Number.POSITIVE_INFINITY);
  const { files, bytes } = assetTotals(parsed.data);
  if (bytes > limit) {
    const which =
      declared !== undefined
        ? "its quota"
        : ceiling !== undefined && ceiling < QUOTA_DEFAULTS.maxAssetBytes
          ? "the platform ceiling"
          : "the default quota";
    failures.push({
      property: "assets",
      reason: `app '${app}': ${files} asset files of ${formatBytes(bytes)} (${bytes} bytes) are over ${which} maxAssetBytes = ${formatBytes(limit)}; raise quota.maxAssetBytes or serve fewer files`,
    });
  }
  return failures;
}
