// Today's temperature for one city, from the one host its manifest allows.
import { forecastUrl } from "./forecast.js";

export default {
  async fetch(_request: Request, env: AppEnv): Promise<Response> {
    const res = await fetch(forecastUrl(String(env.CITY ?? "Lisbon")));
    if (!res.ok) return Response.json({ error: `upstream ${res.status}` }, { status: 502 });
    return Response.json(await res.json());
  },
};
