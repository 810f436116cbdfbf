import addModule from "./add.wasm";
import usage from "./usage.txt";

const { add } = new WebAssembly.Instance(addModule).exports;

export default {
  fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/add") {
      const a = Number(url.searchParams.get("a"));
      const b = Number(url.searchParams.get("b"));
      return Response.json({ sum: add(a, b), unit: env.UNIT, isModule: addModule instanceof WebAssembly.Module });
    }
    return new Response(usage, { headers: { "content-type": "text/plain" } });
  },
};
