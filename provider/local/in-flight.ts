/**
 * The requests the local target has sent into workerd and not yet seen
 * answered, so that when workerd dies the target can say which app it was
 * most likely running: the one with the oldest request still open (a
 * runaway request outlives the ones served around it).
 */

/** A loss this old is not the restart's cause (Miniflare restarts workerd within a second or two). */
const SUSPECT_MS = 30_000;

interface Open {
  label: string;
  since: number;
}

export class InFlight {
  private next = 0;
  private readonly open = new Map<number, Open>();
  /** The oldest open request when the first request lost its connection to workerd, and when. */
  private suspect: { label: string | null; at: number } | null = null;

  /** Callbacks waiting for no request to be open. */
  private waiting: (() => void)[] = [];

  /** Records a request; call the returned function once when it ends, however it ends. */
  start(label: string): () => void {
    const id = this.next++;
    this.open.set(id, { label, since: performance.now() });
    return () => {
      this.open.delete(id);
      if (this.open.size === 0) for (const w of this.waiting.splice(0)) w();
    };
  }

  /** Resolves once no request is open, or after `maxMs`, whichever comes first: true if none was left open. */
  drained(maxMs: number): Promise<boolean> {
    if (this.open.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), maxMs);
      this.waiting.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** The label of the oldest open request, or null. */
  oldest(): string | null {
    // A Map iterates in insertion order: the first entry is the oldest.
    for (const o of this.open.values()) return o.label;
    return null;
  }

  /**
   * A request lost its connection to workerd. When workerd dies every open
   * request does, at once, before it is restarted: the oldest open one at
   * the first loss is the likely cause.
   */
  lost(): void {
    const now = performance.now();
    if (this.suspect === null || now - this.suspect.at > SUSPECT_MS) this.suspect = { label: this.oldest(), at: now };
  }

  /** After a restart: the likely cause, and a clean slate (none of the open requests will be answered). */
  takeSuspect(): string | null {
    const recent = this.suspect && performance.now() - this.suspect.at <= SUSPECT_MS ? this.suspect.label : null;
    const suspect = recent ?? this.oldest();
    this.suspect = null;
    this.open.clear();
    for (const w of this.waiting.splice(0)) w();
    return suspect;
  }
}

/** How a request to a script names the app it is for, when the host's routing makes that visible. */
export function requestLabel(script: string, host: string | undefined, path: string | undefined): string {
  const byPath = /^\/apps\/([^/?#]+)/.exec(path ?? "")?.[1];
  const hostname = (host ?? "").replace(/:\d+$/, "").toLowerCase();
  const suffix = `.${script}.localhost`;
  const byHost = hostname.endsWith(suffix) ? hostname.slice(0, -suffix.length) : undefined;
  const app = byPath ?? byHost;
  return app ? `'${app}' (script '${script}')` : `script '${script}'`;
}
