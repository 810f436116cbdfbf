/**
 * How the App refuses in the program, before the engine sees it: the start
 * checks of its code (bundle/start-checks.ts), a bundling error, and the
 * provider's own checks (check.ts) on the values the program knows. A
 * failure in the engine's check step stops the engine while the program is
 * still talking to it, and the SDK then prints gRPC shutdown traces beside
 * the message; a failure here prints only the message, once.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Bundle } from "../../bundle/bundle-app.js";
import { BundleError } from "../../bundle/bundle-app.js";
import { type StartIssue, codeSizeIssue, startIssues } from "../../bundle/start-checks.js";
import { checkApp } from "./check.js";
import type { StoredAppState } from "./state.js";

/**
 * An error the Pulumi CLI shows as its message alone. A RunError, which the
 * SDK prints without its stack while the program runs; its stack is the
 * message, for the SDK prints an error that rejects after the program's
 * last line by its stack; and its message stays as written (the SDK
 * prefixes a failed input's message with `error serializing property
 * "code"`, which names our wiring, not the user's mistake).
 */
export function refusal(message: string): Error {
  const e = new pulumi.RunError(message);
  e.stack = message;
  Object.defineProperty(e, "message", { get: () => message, set: () => {}, configurable: true });
  return e;
}

/** A failure while preparing the App's code, as the refusal a person reads; other errors as they are. */
export function readableFailure(name: string, e: unknown): unknown {
  if (e instanceof BundleError) return refusal(`App '${name}': ${e.message}`);
  return e;
}

/** Throws the issues that keep the code from starting, or that make it too large, naming the app. */
export function refuseIfCannotStart(
  name: string,
  facts: Pick<Bundle, "exports" | "nodeImports"> | null,
  spec: Parameters<typeof startIssues>[1],
  sizes: Record<string, { size: number }>,
): void {
  const issues: StartIssue[] = facts ? startIssues(facts, spec) : [];
  const size = codeSizeIssue(sizes);
  if (size) issues.push(size);
  if (issues.length > 0) {
    throw refusal(
      `App '${name}': its code would not start: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
    );
  }
}

/** The provider's check on the App's inputs as the program has them: throws every failure, naming the app. */
export function refuseBadInputs(name: string, state: StoredAppState): void {
  const failures = checkApp(state);
  if (failures.length > 0) {
    throw refusal(`App '${name}': ${failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
  }
}
