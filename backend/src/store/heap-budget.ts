// A soft budget for the JS heap. History is most of what the dashboard keeps, and at a high
// flow rate evicted flows become garbage at the same rate; left alone, V8 lets the heap grow to
// 3-4 times the live set before a major collection (a 180 MiB live set reached 634 MiB), so RSS
// runs far above what is held. This sets V8's heap growing factor after each major collection:
// the next one comes at the budget, and never later than at twice the live set, because the
// factor in force when a collection ends is the one V8 uses, and the live set it will find is
// not known beforehand (a history filling up doubles it between two collections). A live set
// over the budget still gets 10% room: collections come often then, and nothing is refused.
import { constants, PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';

/** Never less room than this over the live set: below it V8 would collect back to back. */
export const MIN_GROWING_PERCENT = 10;
/** Never more: the next live set may be larger than the last, and this bounds the overshoot. */
export const MAX_GROWING_PERCENT = 100;

/**
 * The `--heap-growing-percent` that puts the next major collection at the budget, for a heap
 * of `liveBytes` after a collection.
 */
export function growingPercent(liveBytes: number, budgetBytes: number): number {
  if (!(liveBytes > 0)) return MAX_GROWING_PERCENT;
  const room = Math.floor((budgetBytes / liveBytes - 1) * 100);
  return Math.min(MAX_GROWING_PERCENT, Math.max(MIN_GROWING_PERCENT, room));
}

export interface HeapBudgetStatus {
  budgetBytes: number;
  /** Heap in use just after the last major collection (the live set), bytes. */
  liveBytes: number;
  /** The growing percent in force. */
  growingPercent: number;
  /** Major collections seen. */
  majorGCs: number;
}

/** Watches major collections and steers the growing factor; one per process. */
export class HeapBudget {
  private readonly observer: PerformanceObserver;
  private current = MAX_GROWING_PERCENT;
  private live = 0;
  private majors = 0;

  constructor(readonly budgetBytes: number) {
    if (!(budgetBytes > 0))
      throw new RangeError(`heap budget must be positive, got ${budgetBytes}`);
    this.observer = new PerformanceObserver((list) => {
      const major = list
        .getEntries()
        .some(
          (e) =>
            (e as { detail?: { kind?: number } }).detail?.kind ===
            constants.NODE_PERFORMANCE_GC_MAJOR,
        );
      if (major) this.afterMajor(v8.getHeapStatistics().used_heap_size);
    });
    this.observer.observe({ entryTypes: ['gc'] });
    v8.setFlagsFromString(`--heap-growing-percent=${this.current}`);
  }

  private afterMajor(liveBytes: number): void {
    this.majors += 1;
    this.live = liveBytes;
    const next = growingPercent(liveBytes, this.budgetBytes);
    if (next === this.current) return;
    this.current = next;
    // Read by V8 at the end of every major collection, so it applies from the next one.
    v8.setFlagsFromString(`--heap-growing-percent=${next}`);
  }

  get status(): HeapBudgetStatus {
    return {
      budgetBytes: this.budgetBytes,
      liveBytes: this.live,
      growingPercent: this.current,
      majorGCs: this.majors,
    };
  }

  /** Stops watching and gives the choice back to V8. */
  stop(): void {
    this.observer.disconnect();
    v8.setFlagsFromString('--heap-growing-percent=0');
  }
}
