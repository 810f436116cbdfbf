// Builds the host bundle once, so `npx vitest` alone tests the current source.
import { execFileSync } from "node:child_process";

export default function setup(): void {
  execFileSync(process.execPath, ["scripts/build-host.mjs"], { stdio: "inherit" });
}
