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
  pick<T>(rows: readonly T[]): T[] {
    if (this.every === 1) return rows.slice();
    const out: T[] = [];
    for (const r of rows) if (this.counter++ % this.every === 0) out.push(r);
    return out;
  }
}

const DELTA_HEAD = Buffer.from('{"type":"delta","flows":[');
const COMMA = Buffer.from(',');

/**
 * A delta message from rows already encoded as UTF-8 JSON (`{"seq":…,"flow":…}`) and a map
 * delta. Rows are copied, not re-encoded: with 60 views, each row is encoded once per flow
 * rather than once per view per tick.
 */
export function deltaBytes(d: {
  rows: readonly Buffer[];
  mapJson: string;
  mapSnapshotJson?: string;
  skipped: number;
  sampleEvery: number;
}): Buffer {
  let tail = `],"map":${d.mapJson}`;
  if (d.mapSnapshotJson !== undefined) tail += `,"mapSnapshot":${d.mapSnapshotJson}`;
  if (d.skipped > 0) tail += `,"skipped":${d.skipped}`;
  if (d.sampleEvery > 1) tail += `,"sampleEvery":${d.sampleEvery}`;
  tail += '}';
  const parts: Buffer[] = [DELTA_HEAD];
  for (let i = 0; i < d.rows.length; i++) {
    if (i > 0) parts.push(COMMA);
    parts.push(d.rows[i]!);
  }
  parts.push(Buffer.from(tail));
  return Buffer.concat(parts);
}

/**
 * A flow on its way to the views it matched this tick. Its row bytes are encoded on first use
 * and then shared by every view that sends it: most flows a busy view takes are pushed out
 * again by newer ones before the tick and are never encoded at all.
 */
export class PendingRow<F = unknown> {
  private encoded: Buffer | undefined;

  constructor(
    readonly seq: number,
    readonly flow: F,
  ) {}

  get bytes(): Buffer {
    return (this.encoded ??= Buffer.from(
      `{"seq":${this.seq},"flow":${JSON.stringify(this.flow)}}`,
    ));
  }
}

/**
 * One tick's rows for one view, at most `cap` of them: the newest. A delta over its cap shows
 * the rows that are freshest when it goes out (keeping the tick's first ones instead made
 * every row of a busy view 75–100 ms old before it left); the older ones are counted. Which
 * rows a view keeps depends only on the order flows arrive in, so views that match the same
 * flow keep or drop it alike, and its bytes stay shared.
 */
export class NewestRows<R> {
  private ring: R[] = [];
  /** Where the oldest kept row is once the ring is full. */
  private head = 0;
  /** Rows pushed out by newer ones since the last take(). */
  overflow = 0;

  constructor(private readonly cap: number) {}

  get length(): number {
    return this.ring.length;
  }

  push(row: R): void {
    if (this.ring.length < this.cap) {
      this.ring.push(row);
      return;
    }
    this.ring[this.head] = row;
    this.head = this.head + 1 === this.cap ? 0 : this.head + 1;
    this.overflow += 1;
  }

  /** The kept rows, oldest first, and how many were pushed out; empties the list. */
  take(): { rows: R[]; overflow: number } {
    const ring = this.ring;
    const rows = this.head === 0 ? ring : ring.slice(this.head).concat(ring.slice(0, this.head));
    const overflow = this.overflow;
    this.clear();
    return { rows, overflow };
  }

  clear(): void {
    this.ring = [];
    this.head = 0;
    this.overflow = 0;
  }
}
