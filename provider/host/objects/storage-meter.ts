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
 *   in-flight work gets DRAIN_MS to end before the facet is stopped anyway.
 */

const QUIET_MS = 2_000;
const FORCE_MS = 30_000;
const DRAIN_MS = 5_000;

export class StorageMeter {
  private inflight = 0;
  /** Whether a request ran since the last measurement. */
  private dirty = false;
  private lastActive = 0;
  private lastMeasured = Date.now();
  private measuring?: Promise<void>;
  private drained?: () => void;
  private timer?: ReturnType<typeof setTimeout>;

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
  }

  private schedule(ms: number): void {
    if (this.timer || !this.dirty) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const idle = Date.now() - this.lastActive;
      if (this.inflight > 0 || !this.dirty) return;
      if (idle >= QUIET_MS) void this.measure();
      else this.schedule(QUIET_MS - idle);
    }, ms);
  }
}
