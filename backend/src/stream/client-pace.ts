// How fast one WebSocket client is served: a budget for its subscribes and the sampling of its
// rows when it reads too slowly. Pure state with the clock passed in, so the rules are tested
// without sockets; ws-hub.ts applies them and sends the notices.

/**
 * A token bucket. A subscribe may fold minutes of history into a new map: a client
 * resubscribing in a loop (a bug, or worse) would keep the process busy. Bursts up to `burst`
 * run at once; past that one runs per `everyMs`.
 */
export class SubscribeBudget {
  private tokens: number;
  private atMs: number;

  constructor(
    private readonly burst: number,
    private readonly everyMs: number,
    nowMs: number,
  ) {
    this.tokens = burst;
    this.atMs = nowMs;
  }

  /** Spends a token if one is there. */
  take(nowMs: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + (nowMs - this.atMs) / this.everyMs);
    this.atMs = nowMs;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until the next token, as of the last take(). */
  waitMs(): number {
    return Math.max(1, (1 - this.tokens) * this.everyMs);
  }
}

export const MAX_SAMPLE_EVERY = 128;

/**
 * One in `every` rows for a client too slow for all of them. The rate doubles at most once a
 * second while the client stays slow and halves after each calm second, back to every row.
 */
export class Sampler {
  every = 1;
  private counter = 0;
  private calmTicks = 0;
  private lastRaiseMs = 0;

  /** Every row again (a new subscription starts afresh); the raise clock keeps running. */
  reset(): void {
    this.every = 1;
  }

  /** Doubles the sampling; false when it was raised too recently or is at its cap. */
  raise(nowMs: number): boolean {
    if (this.every >= MAX_SAMPLE_EVERY || nowMs - this.lastRaiseMs < 1000) return false;
    this.lastRaiseMs = nowMs;
    this.every = Math.min(MAX_SAMPLE_EVERY, this.every * 2);
    this.calmTicks = 0;
    return true;
  }

  /**
   * Counts a tick, calm or not; after a second of calm ticks halves the sampling. True when
   * that brought it back to every row.
   */
  relax(calm: boolean, tickMs: number): boolean {
    if (this.every === 1) return false;
    this.calmTicks = calm ? this.calmTicks + 1 : 0;
    if (this.calmTicks * tickMs < 1000) return false;
    this.calmTicks = 0;
    this.every = Math.max(1, this.every / 2);
    return this.every === 1;
  }

  /** The rows this client gets of `rows`, keeping the one-in-N phase across ticks. */
  pick(rows: readonly string[]): string[] {
    if (this.every === 1) return rows.slice();
    const out: string[] = [];
    for (const r of rows) if (this.counter++ % this.every === 0) out.push(r);
    return out;
  }
}

/** A delta message from rows already encoded as JSON (`{"seq":…,"flow":…}`) and a map delta. */
export function deltaText(d: {
  rows: readonly string[];
  mapJson: string;
  mapSnapshotJson?: string;
  skipped: number;
  sampleEvery: number;
}): string {
  let msg = `{"type":"delta","flows":[${d.rows.join(',')}],"map":${d.mapJson}`;
  if (d.mapSnapshotJson !== undefined) msg += `,"mapSnapshot":${d.mapSnapshotJson}`;
  if (d.skipped > 0) msg += `,"skipped":${d.skipped}`;
  if (d.sampleEvery > 1) msg += `,"sampleEvery":${d.sampleEvery}`;
  return msg + '}';
}
