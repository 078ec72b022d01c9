// Events per second over a sliding window of one-second buckets: cheap enough to call per flow.

export class RateMeter {
  private readonly buckets: number[];
  private readonly stamps: number[];

  constructor(
    private readonly windowSeconds = 10,
    private readonly now: () => number = Date.now,
  ) {
    this.buckets = new Array<number>(windowSeconds).fill(0);
    this.stamps = new Array<number>(windowSeconds).fill(-1);
  }

  mark(n = 1): void {
    const sec = Math.floor(this.now() / 1000);
    const i = sec % this.windowSeconds;
    if (this.stamps[i] !== sec) {
      this.stamps[i] = sec;
      this.buckets[i] = 0;
    }
    this.buckets[i] += n;
  }

  /** Mean rate over the last full seconds of the window (the current second is still filling). */
  perSecond(): number {
    const sec = Math.floor(this.now() / 1000);
    let sum = 0;
    for (let i = 0; i < this.windowSeconds; i++) {
      const age = sec - this.stamps[i];
      if (age >= 1 && age <= this.windowSeconds - 1) sum += this.buckets[i];
    }
    return Math.round((sum / (this.windowSeconds - 1)) * 10) / 10;
  }
}
