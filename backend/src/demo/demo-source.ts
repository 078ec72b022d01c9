// Runs a Lab in real time: every tick, the flows that have come due go into a FlowHistory, the
// buffer a Hubble-compatible server reads from. Demo mode therefore reaches the dashboard over
// the same gRPC path as a real Relay.
import type { FlowHistory } from '../hubble/flow-history.ts';
import { nowNs } from '../hubble/time.ts';
import type { Lab, LabPod } from './lab.ts';
import { LabGenerator, type LabJudge } from './generator.ts';

export interface DemoSourceOptions {
  seed?: number;
  tickMs?: number;
  /** History to generate at start, so a fresh dashboard has something to show. */
  warmupMs?: number;
  /** Multiplies the lab's traffic (for load tests). */
  rateScale?: number;
  /** Verdicts from the policy engine (otherwise the lab's `drop` fields). */
  judge?: LabJudge;
  /** Readiness from the cluster model (otherwise the lab's data). */
  isReady?: (p: LabPod) => boolean;
}

export class DemoSource {
  readonly generator: LabGenerator;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly lab: Lab,
    private readonly history: FlowHistory,
    private readonly opts: DemoSourceOptions = {},
  ) {
    const start = nowNs() - BigInt(opts.warmupMs ?? 30_000) * 1_000_000n;
    this.generator = new LabGenerator(lab, opts.seed ?? 1, start, opts.rateScale ?? 1);
    this.generator.judge = opts.judge;
    this.generator.isReady = opts.isReady;
  }

  start(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.opts.tickMs ?? 100);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    for (const rec of this.generator.generate(nowNs())) this.history.push(rec);
  }
}
