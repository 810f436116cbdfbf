#!/usr/bin/env node
// The policy pack as an executable analyzer plugin:
//   pulumi preview --policy-pack node_modules/pulumi-dynamic-workers/policy/run.mjs
// The Pulumi CLI (v3.274) starts a --policy-pack path that is an executable
// file directly, with the engine's address as the last argument, and reads
// the analyzer's gRPC port from its first line of output. This needs no
// language host support for policy packs (a Node.js language host built
// from sdk/v3 v3.68.0 answers RunPlugin with "not supported").
// @pulumi/policy reads the pack's version from package.json in the working
// directory, so the pack runs from this folder.
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

process.chdir(dirname(fileURLToPath(import.meta.url)));
await import("./index.js");
