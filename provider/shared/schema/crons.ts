/**
 * Cron triggers of an app, in Cloudflare's syntax: five fields (minute, hour,
 * day of month, month, weekday), UTC, weekdays 1-7 with 1 = Sunday, month and
 * weekday names, and the Quartz extensions L, W and # (as in
 * developers.cloudflare.com/workers/configuration/cron-triggers/). Parsed and
 * matched by croner, which runs in Node and in workerd.
 */
import { Cron } from "croner";
import { z } from "zod";

/**
 * Cron triggers per app. Cloudflare allows 5 per account on Workers Free and
 * 250 per account on Workers Paid (its limits page); the host carries one for
 * all apps, and each app gets at most this many of its own.
 */
export const MAX_CRONS_PER_APP = 5;

/** croner's options for Cloudflare's syntax: 5 fields only, Quartz weekday numbers, UTC. */
const CRON_OPTIONS = { mode: "5-part", alternativeWeekdays: true, timezone: "Etc/UTC" } as const;

export const CRON_SYNTAX =
  "five fields 'minute hour day-of-month month weekday' (UTC) with * , - /, names (JAN, mon), L and W in day-of-month, L and # in weekday, weekdays 1-7 with 1 = Sunday; e.g. '*/30 * * * *', '0 18 * * friL'";

/** Why `expr` is not a cron expression Cloudflare takes, or null. */
export function cronProblem(expr: string): string | null {
  if (expr.trim() !== expr || /\s{2,}/.test(expr)) return "must have single spaces between fields and none around";
  if (expr.startsWith("@")) return "nicknames like @daily are not taken; write the five fields";
  const fields = expr.split(" ");
  if (fields.length !== 5) return `has ${fields.length} fields; Cloudflare takes exactly five`;
  // Weekday numbers are 1-7 (1 = Sunday); croner would take 0 and 8 too.
  const weekdayNumbers = fields[4]!.match(/(?<![#/A-Za-z])\d+/g) ?? [];
  if (weekdayNumbers.some((n) => Number(n) < 1 || Number(n) > 7)) return "weekday numbers must be 1-7 (1 = Sunday)";
  try {
    new Cron(expr, CRON_OPTIONS);
  } catch (e) {
    return (e as Error).message.replace(/^CronPattern: /, "");
  }
  return null;
}

/** One cron expression, as Cloudflare's `triggers.crons` takes it. */
export const CronExpression = z
  .string()
  .max(100, { message: "must be at most 100 characters" })
  .superRefine((expr, ctx) => {
    const problem = cronProblem(expr);
    if (problem) ctx.addIssue({ code: "custom", message: `'${expr}' ${problem}; allowed: ${CRON_SYNTAX}` });
  });

/** An app's cron triggers: at most MAX_CRONS_PER_APP, none repeated. */
export const Crons = z
  .array(CronExpression)
  .max(MAX_CRONS_PER_APP, { message: `at most ${MAX_CRONS_PER_APP} cron triggers are allowed per app` })
  .refine((c) => new Set(c).size === c.length, { message: "must not repeat a cron expression" });

/** Whether `expr` fires at `time` (milliseconds; the minute it falls in). */
export function cronMatches(expr: string, time: number): boolean {
  const minute = new Date(Math.floor(time / 60_000) * 60_000);
  return new Cron(expr, CRON_OPTIONS).match(minute);
}
