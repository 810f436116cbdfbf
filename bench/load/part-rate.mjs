// bench:load part 2, requestsPerMinute: one app with limit L, flooded by
// RATE_CONNECTIONS through one whole fixed minute window; 200s vs L.
import { clock, fmt, load1 } from "../lib/figures.mjs";
import { QUIET_SOURCE, jsApp } from "./apps.mjs";
import { RATE, RATE_START_OFFSET_MS, TARGETS } from "./config.mjs";
import { cannon, getText, sleep, state } from "./runtime.mjs";

export async function partRate({ base, control }) {
  const L = RATE.limit;
  const app = "limited";
  console.log("");
  console.log(
    `2. requestsPerMinute = ${L}: ${RATE.connections} connections flood one app through one fixed minute window; load average ${load1()}`,
  );
  await control.rollOut(app, jsApp(QUIET_SOURCE), { quota: { requestsPerMinute: L } });
  const win = await waitForWindow();
  const flood = await floodWindow(new URL(`/apps/${app}/`, base).href, win);
  await reportRate(control, app, L, win, flood);
}

/** Waits until just after the next minute boundary (at least 1 s away). */
async function waitForWindow() {
  // The limiter's windows are floor(Date.now() / 60 000). Start just after a boundary.
  let boundary = (Math.floor(Date.now() / 60_000) + 1) * 60_000;
  if (boundary - Date.now() < 1_000) boundary += 60_000;
  const window = boundary / 60_000;
  const startAt = boundary + RATE_START_OFFSET_MS;
  const stopAt = startAt + RATE.seconds * 1000;
  console.log(
    `   waiting ${fmt((startAt - Date.now()) / 1000, 1)} s for the minute boundary at ${clock(boundary)} UTC`,
  );
  await sleep(startAt - Date.now());
  return { boundary, window, stopAt };
}

/** The flood, stopped at stopAt: when each 200 came, the status counts, and the first 429. */
async function floodWindow(url, { stopAt }) {
  const flood = { url, okAt: [], statuses: new Map(), first429: null };
  const { instance, done } = cannon({ url, connections: RATE.connections, duration: 3600 }, (_client, status) => {
    const now = Date.now();
    flood.statuses.set(status, (flood.statuses.get(status) ?? 0) + 1);
    if (status === 200) flood.okAt.push(now);
    else if (status === 429 && flood.first429 === null) flood.first429 = now;
  });
  flood.started = Date.now();
  const stopper = setTimeout(() => instance.stop(), stopAt - Date.now());
  state.timers.add(stopper);
  flood.r = await done;
  clearTimeout(stopper);
  flood.ended = Date.now();
  return flood;
}

async function reportRate(control, app, L, { boundary, window }, { url, okAt, statuses, first429, started, ended, r }) {
  const perWindow = new Map();
  for (const t of okAt) perWindow.set(Math.floor(t / 60_000), (perWindow.get(Math.floor(t / 60_000)) ?? 0) + 1);
  const admitted = perWindow.get(window) ?? 0;
  const outside = okAt.length - admitted;
  const other = [...statuses].filter(([s]) => s !== 200 && s !== 429).reduce((a, [, n]) => a + n, 0);
  const errPct = ((admitted - L) / L) * 100;

  // Cross-check with the host's own count: one request in the next window makes the
  // isolate report the measured window's use to AppControl (with its next lease).
  await sleep((window + 1) * 60_000 + 200 - Date.now());
  const probe = await getText(url);
  const { usage } = await control.usage(app);

  console.log(
    `   measured window ${clock(boundary)}–${clock(boundary + 60_000)} UTC: requests sent from +${fmt((started - boundary) / 1000, 2)} s to +${fmt((ended - boundary) / 1000, 2)} s ` +
      `(${fmt((ended - started) / 1000, 1)} s), none to this app at any other time of that window`,
  );
  console.log(
    `   responses: ${[...statuses]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}×${n}`)
      .join(", ")}; socket errors ${r.errors}; ` +
      `first 429 at +${first429 === null ? "never" : `${fmt((first429 - boundary) / 1000, 2)} s`}`,
  );
  console.log(
    `   admitted (200s) in the window: ${admitted}   limit L: ${L}   error: ${errPct >= 0 ? "+" : ""}${fmt(errPct, 2)}%  ` +
      `${Math.abs(errPct) <= TARGETS.rateErrorPct && first429 !== null ? "PASS" : "MISS"} (target ±${TARGETS.rateErrorPct}%)`,
  );
  if (first429 === null)
    console.log(
      "   the limit was never reached: the run did not test the limiter (raise RATE_CONNECTIONS or lower RATE_LIMIT)",
    );
  if (outside) console.log(`   ${outside} 200s arrived outside the measured window (alignment problem)`);
  if (other) console.log(`   ${other} responses other than 200 and 429`);
  console.log(
    `   host's usage for that window (lastMinute, read after a probe ${probe.status} in the next one): ${usage.requests.lastMinute} ` +
      `${usage.requests.lastMinute === admitted ? "(= admitted)" : `(differs from the ${admitted} admitted the clients saw)`}`,
  );
}
