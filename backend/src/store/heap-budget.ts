// A soft budget for the JS heap. History is most of what the dashboard keeps, and at a high
// flow rate evicted flows become garbage at the same rate; V8 then lets the heap grow to up to
// four times the live set before a major collection, so RSS runs far above what is held. After
// each major collection this sets V8's heap growing factor so the next collection comes at the
// budget: nothing changes while the live set is a quarter of the budget or less, and a live
// set over the budget still gets 10% room (collections come often then; nothing is refused).
import { constants, PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';

/** Never less room than this over the live set: below it V8 would collect back to back. */
export const MIN_GROWING_PERCENT = 10;
/** V8's own factor is at most 4×; with this much room its choice already fits the budget. */
const V8_MAX_FACTOR = 4;

/**
 * The `--heap-growing-percent` that puts the next major collection at the budget, for a heap
 * of `liveBytes` after a collection; 0 leaves V8 to choose.
 */
export function growingPercent(liveBytes: number, budgetBytes: number): number {
  if (!(liveBytes > 0) || budgetBytes / liveBytes >= V8_MAX_FACTOR) return 0;
  return Math.max(MIN_GROWING_PERCENT, Math.floor((budgetBytes / liveBytes - 1) * 100));
}

export interface HeapBudgetStatus {
  budgetBytes: number;
  /** Heap in use just after the last major collection (the live set), bytes. */
  liveBytes: number;
  /** The growing percent in force; 0 while V8 chooses. */
  growingPercent: number;
  /** Major collections seen. */
  majorGCs: number;
}

/** Watches major collections and steers the growing factor; one per process. */
export class HeapBudget {
  private readonly observer: PerformanceObserver;
  private current = 0;
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

  stop(): void {
    this.observer.disconnect();
    if (this.current !== 0) v8.setFlagsFromString('--heap-growing-percent=0');
    this.current = 0;
  }
}
