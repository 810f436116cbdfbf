/**
 * Egress: every outbound request of an app with an allow-list comes here
 * (its `globalOutbound`). The app's name is in the props, set by the host,
 * so the app cannot change it; the allow-list is the app's current one, read
 * per request from the isolate's version cache (no Durable Object call when
 * warm), so a new list needs no new loaded worker. Redirects are not
 * followed here: the app sees the 3xx, and its next request is checked again.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { egressDecision } from "../../shared/egress-rule.js";
import { appControlStub } from "../env.js";
import { cachedApp, resolveApp } from "./version-cache.js";

export interface EgressProps {
  app: string;
}

export class Egress extends WorkerEntrypoint<Env, EgressProps> {
  override async fetch(request: Request): Promise<Response> {
    const { app } = this.ctx.props;
    const resolved = cachedApp(app) ?? (await resolveApp(this.env, app));
    // An app deleted, or switched to "none" (its worker keeps this stub until it is loaded afresh): no network.
    const allow = resolved && resolved.outbound !== "none" ? resolved.outbound.allow : [];
    const decision = egressDecision(request.url, allow);
    if (!decision.allowed) {
      throw new Error(`outbound request refused by the platform: ${decision.reason}`);
    }
    this.ctx.waitUntil(
      appControlStub(this.env, app)
        .countOutbound()
        .catch(() => {}),
    );
    return fetch(new Request(request, { redirect: "manual" }));
  }
}
