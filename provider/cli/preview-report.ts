/** What `preview deploy --json` writes, which `preview-comment --previews` reads; and where a slot answers. */

export interface PreviewDeployReport {
  preview: string;
  slots: {
    app: string;
    slot: string;
    /** `<slot>.<appsDomain>` when the host has an apps domain, else the path form. */
    url: string;
    /** `<host>/apps/<slot>/`. */
    pathUrl: string;
    versionHash: string;
    seeded: boolean;
    expiresAt: string;
  }[];
  /** Changed apps with no folder in the apps dir. */
  elsewhere: string[];
  failed: { app: string; message: string }[];
}

/**
 * Where a slot answers, from the control URL: the host form keeps its scheme
 * and port (`http://notes--pr-42.<appsDomain>:8787/` on the local target),
 * the path form is under the control URL itself.
 */
export function slotUrls(
  controlUrl: string,
  slot: string,
  appsDomain: string | null,
): { url: string; pathUrl: string } {
  const base = new URL(controlUrl.endsWith("/") ? controlUrl : `${controlUrl}/`);
  const pathUrl = new URL(`apps/${slot}/`, base).href;
  const url = appsDomain ? `${base.protocol}//${slot}.${appsDomain}${base.port ? `:${base.port}` : ""}/` : pathUrl;
  return { url, pathUrl };
}
