/** Validation issues as people read them: a field path and what is allowed. */
import type { z } from "zod";

/** One failing field: a path readable by a person, and what is allowed. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** Turns zod issues into `[{ path: 'modules["a.js"].content', message }]`. */
export function formatIssues(error: z.ZodError, prefix = ""): FieldIssue[] {
  return error.issues.map((issue) => {
    // A refused record key carries the key schema's own message one level down.
    const nested =
      issue.code === "invalid_key" ? (issue as { issues?: { message: string }[] }).issues?.[0]?.message : undefined;
    return { path: formatPath(issue.path, prefix), message: nested ? `key ${nested}` : issue.message };
  });
}

export function formatPath(path: readonly PropertyKey[], prefix = ""): string {
  let out = prefix;
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out || "(root)";
}

/** One line per issue: `field: message`. */
export function describeIssues(issues: FieldIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join("; ");
}
