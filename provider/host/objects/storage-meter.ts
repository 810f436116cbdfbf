/**
 * When an AppObject measures its facet's database. A measurement stops the
 * app's class for a moment (objects/size-probe.ts), so it waits until no
 * request and no response body is in flight, and new requests wait for it
 * (about a millisecond). An object is measured:
 * - once it has been quiet for QUIET_MS after requests;
 * - soon after the size the isolate reports grew enough (a hint: it can
 *   only make the host measure sooner, never later);
 * - at least every FORCE_MS while it keeps serving without a pause, so an
 *   app cannot avoid measurement by never letting its object rest; then
 *   in-flight work gets DRAIN_MS to end before the facet is stopped anyway;
 * - every SOCKETS_MS, busy or not, once it has accepted a WebSocket: its
 *   messages reach the app's class without passing the supervisor, so the
 *   meter cannot see them (such an object is measured on a copy, see
 *   app-object.ts, and keeps its connections).
 */

const QUIET_MS = 2_000;
const FORCE_MS = 30_000;
const DRAIN_MS = 5_000;
const SOCKETS_MS = 10_000;

export class StorageMeter {
  private inflight = 0;
  /** Whether a request ran since the last measurement. */
  private dirty = false;
  private lastActive = 0;
  private lastMeasured = Date.now();
  private measuring?: Promise<void>;
  private drained?: () => void;
  private timer?: ReturnType<typeof setTimeout>;
  /** When the timer fires. */
  private timerAt = 0;
  /** Measured every SOCKETS_MS whatever the meter sees (see sockets()). */
  private always = false;

  constructor(private readonly measureNow: () => Promise<void>) {}

  /** Before a request reaches the facet: waits out a measurement, or runs one when overdue. */
  async enter(): Promise<void> {
    for (;;) {
      if (this.measuring) await this.measuring;
      else if (this.dirty && Date.now() - this.lastMeasured > FORCE_MS) await this.measure();
      else break;
    }
    this.inflight++;
    this.dirty = true;
    // A request that never ends must not keep the object from being measured.
    this.schedule(FORCE_MS - (Date.now() - this.lastMeasured));
  }

  /** After a request, once its response body has been sent. */
  leave(): void {
    this.inflight--;
    this.lastActive = Date.now();
    if (this.inflight > 0) return;
    this.drained?.();
    this.schedule(QUIET_MS);
  }

  /** Measures as soon as in-flight work allows. */
  measure(): Promise<void> {
    this.measuring ??= this.run().finally(() => {
      this.measuring = undefined;
    });
    return this.measuring;
  }

  /** Stops timers: the object was deleted. */
  reset(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.dirty = false;
  }

  /** The object accepted a WebSocket: from now on it is measured every SOCKETS_MS. */
  sockets(): void {
    if (this.always) return;
    this.always = true;
    this.dirty = true;
    this.schedule(SOCKETS_MS);
  }

  /** Forgets sockets and timers: the object was deleted. */
  forget(): void {
    this.always = false;
    this.reset();
  }

  /** The next check: measure when due (forced, or quiet), else look again when one of them will be. */
  private check(): void {
    this.timer = undefined;
    if (!this.dirty || this.measuring) return;
    const now = Date.now();
    const untilForce = (this.always ? SOCKETS_MS : FORCE_MS) - (now - this.lastMeasured);
    const untilQuiet = this.inflight > 0 ? Number.POSITIVE_INFINITY : QUIET_MS - (now - this.lastActive);
    if (untilForce <= 0 || untilQuiet <= 0) void this.measure();
    else this.schedule(Math.min(untilForce, untilQuiet));
  }

  private async run(): Promise<void> {
    if (this.inflight > 0) {
      await new Promise<void>((resolve) => {
        const timeout = setTimeout(resolve, DRAIN_MS);
        this.drained = () => {
          clearTimeout(timeout);
          resolve();
        };
      });
      this.drained = undefined;
    }
    this.reset();
    this.lastMeasured = Date.now();
    try {
      await this.measureNow();
    } catch {
      // The object was deleted meanwhile, or the probe failed: the next request measures again.
      this.dirty = true;
    }
    if (this.always) {
      this.dirty = true;
      this.schedule(SOCKETS_MS);
    }
  }

  /** Runs check() in `ms`, unless a check is already due sooner. */
  private schedule(ms: number): void {
    if (!this.dirty) return;
    const at = Date.now() + Math.max(0, ms);
    if (this.timer !== undefined) {
      if (this.timerAt <= at) return;
      clearTimeout(this.timer);
    }
    this.timerAt = at;
    this.timer = setTimeout(() => this.check(), Math.max(0, ms));
  }
}
