/**
 * AppAssets: the `env.ASSETS` binding (or the name the app's config gives)
 * of an app with static assets. Its props, set by the host when it loads the
 * app, name the app and the version, so `env.ASSETS.fetch(request)` serves
 * only that version's files: the request's URL gives a path inside that one
 * table, never another app, whatever its host, prefix or encoding.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { assetAnswer, assetResponse, assetTable } from "./assets.js";

export class AppAssets extends WorkerEntrypoint<Env, { app: string; versionHash: string }> {
  override async fetch(request: Request): Promise<Response> {
    const { app, versionHash } = this.ctx.props;
    const table = await assetTable(this.env, app, versionHash);
    const url = new URL(request.url);
    const answer = table && assetAnswer(url, table, table.options.notFoundHandling);
    if (!table || !answer) return new Response(null, { status: 404, statusText: "Not Found" });
    return assetResponse(this.env, app, request, url, table, answer);
  }
}
