/**
 * Egress: every outbound request of an app with an allow-list comes here
 * (its `globalOutbound`). The app's name and allow-list are in the props,
 * set by the host, so the app cannot change them. Redirects are not
 * followed here: the app sees the 3xx, and its next request is checked again.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { egressDecision } from "../../shared/egress-rule.js";
import { appControlStub } from "../env.js";

export interface EgressProps {
  app: string;
  allow: string[];
}

export class Egress extends WorkerEntrypoint<Env, EgressProps> {
  override async fetch(request: Request): Promise<Response> {
    const { app, allow } = this.ctx.props;
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
