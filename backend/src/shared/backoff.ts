// Capped exponential backoff with full jitter: attempt n waits a random time in
// [0, min(max, initial * 2^n)). Jitter matters when a whole classroom of dashboards loses the
// same Relay at once: without it they all reconnect in the same instant, again and again.

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Random source in [0, 1); injectable so tests are deterministic. */
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly opts: Required<BackoffOptions>;

  constructor(opts: BackoffOptions) {
    if (!(opts.initialMs > 0) || !(opts.maxMs >= opts.initialMs)) {
      throw new RangeError(
        `backoff needs 0 < initialMs <= maxMs, got ${opts.initialMs} and ${opts.maxMs}`,
      );
    }
    this.opts = { random: Math.random, ...opts };
  }

  /** Failures since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next try; each call counts one more failure. */
  next(): number {
    const ceiling = Math.min(this.opts.maxMs, this.opts.initialMs * 2 ** this.attempt);
    this.attempt += 1;
    // Never less than initialMs / 2: a zero delay against a refusing server is a busy loop.
    return Math.max(this.opts.initialMs / 2, Math.floor(this.opts.random() * ceiling));
  }

  reset(): void {
    this.attempt = 0;
  }
}
