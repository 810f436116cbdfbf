import { DurableObject } from "cloudflare:workers";

export class Journal extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS runs (cron TEXT, scheduled_time INTEGER)");
  }
  record(cron, scheduledTime) {
    this.ctx.storage.sql.exec("INSERT INTO runs VALUES (?, ?)", cron, scheduledTime);
  }
  runs() {
    return this.ctx.storage.sql.exec("SELECT cron, scheduled_time AS scheduledTime FROM runs ORDER BY rowid").toArray();
  }
}

export default {
  async fetch(_request, env) {
    return Response.json(await env.JOURNAL.getByName("journal").runs());
  },
  async scheduled(controller, env, ctx) {
    if (controller.cron === "0 0 1 1 *") throw new Error("the new year's job failed");
    ctx.waitUntil(env.JOURNAL.getByName("journal").record(controller.cron, controller.scheduledTime));
  },
};
