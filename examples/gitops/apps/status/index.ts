// A status page: one line of text from the manifest's env, no state, no network.
export default {
  fetch(_request: Request, env: AppEnv): Response {
    return Response.json({ status: env.MESSAGE ?? "unknown", at: new Date().toISOString() });
  },
};
