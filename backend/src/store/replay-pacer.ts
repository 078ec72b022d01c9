// Plays a recording into a Hubble server's history at its original pace, or faster: the gap
// between two flows becomes gap / speed. An instructor can replay a lab "live" in front of a
// class; `speed` Infinity pushes everything at once.
import type { FlowHistory } from '../hubble/flow-history.ts';
import type { FlowRecord } from '../hubble/types.ts';

export interface ReplayPacerOptions {
  /** 1 = original pace; 10 = ten times faster; Infinity = all at once. */
  speed: number;
  /** Gaps longer than this (a lab paused over lunch) are cut short, before scaling. */
  maxGapMs?: number;
  /** Start over when the recording ends. */
  loop?: boolean;
  now?: () => number;
}

export interface ReplayProgress {
  played: number;
  total: number;
  loops: number;
  speed: number;
  done: boolean;
}

/** Upper bound on flows pushed per tick, so a burst in the recording does not stall the loop. */
const MAX_PER_TICK = 5000;

export class ReplayPacer {
  private index = 0;
  private loops = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Wall-clock ms at which the recording's `originNs` plays. */
  private startMs = 0;
  private originNs = 0n;
  private virtualMs = 0;
  private lastWallMs = 0;
  private readonly now: () => number;

  constructor(
    private readonly records: readonly FlowRecord[],
    private readonly history: FlowHistory,
    private readonly opts: ReplayPacerOptions,
  ) {
    if (!(opts.speed > 0)) throw new RangeError(`replay speed must be positive, got ${opts.speed}`);
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    if (this.opts.speed === Infinity) {
      for (const r of this.records) this.history.push(r);
      this.index = this.records.length;
      return;
    }
    this.begin();
    this.tick();
    this.timer = setInterval(() => this.tick(), 50);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Changes the pace from now on; what has played stays played. Infinity plays the rest at
   * once (the scaled gap would be NaN for an instant with no wall time passed).
   */
  setSpeed(speed: number): void {
    if (!(speed > 0)) throw new RangeError(`replay speed must be positive, got ${speed}`);
    if (Number.isFinite(this.opts.speed)) this.advance();
    this.opts.speed = speed;
    if (speed === Infinity) {
      for (; this.index < this.records.length; this.index++) {
        this.history.push(this.records[this.index]!);
      }
      this.stop();
    }
  }

  get progress(): ReplayProgress {
    return {
      played: this.index,
      total: this.records.length,
      loops: this.loops,
      speed: this.opts.speed,
      done: this.index >= this.records.length && !this.opts.loop,
    };
  }

  private begin(): void {
    this.index = 0;
    this.originNs = this.records[0]?.timeNs ?? 0n;
    this.startMs = this.now();
    this.lastWallMs = this.startMs;
    this.virtualMs = 0;
  }

  /** Recording time (ms since its first flow) that has come due. */
  private advance(): number {
    const wall = this.now();
    this.virtualMs += (wall - this.lastWallMs) * this.opts.speed;
    this.lastWallMs = wall;
    return this.virtualMs;
  }

  tick(): void {
    const due = this.advance();
    const maxGap = this.opts.maxGapMs ?? 10_000;
    let pushed = 0;
    while (this.index < this.records.length && pushed < MAX_PER_TICK) {
      const rec = this.records[this.index]!;
      const offsetMs = Number((rec.timeNs - this.originNs) / 1_000_000n);
      if (offsetMs > due + maxGap) {
        // A long pause in the recording: skip ahead instead of waiting it out.
        this.virtualMs = offsetMs - maxGap;
        break;
      }
      if (offsetMs > due) break;
      this.history.push(rec);
      this.index += 1;
      pushed += 1;
    }
    if (this.index >= this.records.length) {
      if (this.opts.loop && this.records.length > 0) {
        this.loops += 1;
        this.begin();
      } else this.stop();
    }
  }
}
