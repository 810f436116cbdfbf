import { DurableObject } from "cloudflare:workers";
import { counterName } from "./names.js";

export class Counter extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS hits (n INTEGER)");
  }
  increment() {
    this.ctx.storage.sql.exec("INSERT INTO hits VALUES (1)");
    return this.ctx.storage.sql.exec("SELECT COUNT(*) AS n FROM hits").one().n;
  }
}

export default {
  async fetch(request, env) {
    const stub = env.COUNTER.getByName(counterName(new URL(request.url)));
    return new Response(String(await stub.increment()));
  },
};
