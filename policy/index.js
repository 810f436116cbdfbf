// The policy pack's program: serves the pack built from provider/policy/pack.ts.
// A language host that runs policy packs (runtime: nodejs) loads this folder;
// run.mjs loads it when the CLI starts the pack as an executable.
import "../dist/provider/policy/pack.js";
