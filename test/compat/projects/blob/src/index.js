import logo from "./logo.bin";
import readme from "./README.md";

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/logo.bin") return new Response(logo);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", logo));
    return Response.json({
      isArrayBuffer: logo instanceof ArrayBuffer,
      bytes: logo.byteLength,
      sha256: [...digest].map((b) => b.toString(16).padStart(2, "0")).join(""),
      readme: readme.split("\n")[0],
    });
  },
};
