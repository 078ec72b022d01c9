// Folding history into the map of a new view, a slice at a time. A subscribe with a filter no
// other client has yet counts up to the whole history into a fresh map before its snapshot.
// Done at once, that is about a tenth of a second per subscribe; sixty arriving together (a class
// opening the dashboard) held the event loop for seconds, and every other client's rows waited
// behind them. Here the work is cut into slices, one per turn of the event loop, and every fold
// under way shares one scan over history: each flow is put together once, and its map keys
// computed once per grouping, for all of them. A fold that asks while the scan is under way
// joins it where it is and gets the part it missed on the next lap.
import type { EnrichedFlow } from '../enrich/types.ts';
import type { EdgeKeys, Grouping, ServiceMap } from '../map/service-map.ts';
import type { FlowStore } from '../store/flow-store.ts';
import { ViewIndex } from './view-index.ts';

export interface FoldRequest {
  map: ServiceMap;
  match: (f: EnrichedFlow) => boolean;
  /** A flow can match only if one side is in one of these (the filter's requiredNamespaces). */
  namespaces?: readonly string[] | undefined;
  /** Inclusive, nanoseconds; from the oldest flow held when absent. */
  sinceNs?: bigint | undefined;
  /** Exclusive, nanoseconds; up to the newest flow held when `fold` is called when absent. */
  untilNs?: bigint | undefined;
  /**
   * The time every flow counts at in the map (a live view's, which counts its history as
   * now); each flow's own time when absent (a past window).
   */
  atMs?: number | undefined;
  /**
   * Called in a later turn, once the map holds every flow of the range. Flows stored after
   * `fold` was called are not folded: a live view takes those as they arrive, so the fold adds
   * its older flows behind them (ServiceMap.add's `age`).
   */
  done: () => void;
}

export interface FoldHandle {
  /** The fold stops at its next slice and `done` is never called. */
  cancel(): void;
}

export interface HistoryFolderOptions {
  /**
   * The shortest slice. A slice runs for as long as the event loop was away since the last
   * one, between this and maxSliceMs: folding then takes about half the thread while the
   * process is busy, and all of it while it is idle.
   */
  sliceMs?: number;
  maxSliceMs?: number;
}

export interface FoldStats {
  /** Folds that reached their end, and those cancelled first (the client left or moved on). */
  completed: number;
  cancelled: number;
  /** Times the scan started over history (a fold that joined late needs a second lap). */
  laps: number;
  slices: number;
}

interface Job {
  /** Unique among the folds under way (ViewIndex's key). */
  key: string;
  req: FoldRequest;
  /** What is still to fold, in order: [from, to] sequence numbers, inclusive. */
  ranges: [number, number][];
  /** The first sequence number of ranges[0] not folded yet. */
  need: number;
  /** How much older than what the map already holds ranges[0] is (ServiceMap.add's age). */
  age: number;
  /** Whether the scan's current stretch is where this fold's next flow is (or lies ahead). */
  inStep: boolean;
  cancelled: boolean;
}

/** How many (flow, fold) pairs run between two looks at the clock. */
const PAIRS_PER_CHECK = 4096;

export class HistoryFolder {
  private jobs: Job[] = [];
  /** The folds by the namespaces their filters require: a flow meets only those it may match. */
  private readonly index = new ViewIndex<Job>();
  private made = 0;
  /** Where the scan over history is: the next sequence number it reads. */
  private cursor: number | undefined;
  private scheduled = false;
  private yieldedAt: number | undefined;
  /** The flow the scan is at, shared by every fold it visits. */
  private flow: EnrichedFlow | undefined;
  private seq = 0;
  private keysBy: Partial<Record<Grouping, EdgeKeys>> = {};
  private readonly sliceMs: number;
  private readonly maxSliceMs: number;
  private readonly counters: FoldStats = { completed: 0, cancelled: 0, laps: 0, slices: 0 };

  constructor(
    private readonly store: FlowStore,
    opts: HistoryFolderOptions = {},
  ) {
    this.sliceMs = opts.sliceMs ?? 8;
    this.maxSliceMs = opts.maxSliceMs ?? 50;
    if (!(this.sliceMs >= 0)) throw new RangeError(`sliceMs must be >= 0, got ${this.sliceMs}`);
    if (!(this.maxSliceMs >= this.sliceMs)) {
      throw new RangeError(`maxSliceMs must be >= sliceMs, got ${this.maxSliceMs}`);
    }
  }

  get stats(): FoldStats & { pending: number } {
    return { ...this.counters, pending: this.jobs.length };
  }

  /** Starts folding; `req.done` runs in a later turn of the event loop, never in this one. */
  fold(req: FoldRequest): FoldHandle {
    const from = req.sinceNs === undefined ? 0 : this.store.seqAtTime(req.sinceNs);
    const to =
      req.untilNs === undefined ? this.store.lastSeq : this.store.seqAtTime(req.untilNs) - 1;
    // A scan under way is joined where it is; what it has passed is folded on its next lap.
    const at = this.cursor ?? from;
    const ranges = (
      [
        [Math.max(from, at), to],
        [from, Math.min(to, at - 1)],
      ] as [number, number][]
    ).filter(([a, b]) => a <= b);
    const job: Job = {
      key: String((this.made += 1)),
      req,
      ranges: ranges.length > 0 ? ranges : [[from, from - 1]],
      need: ranges[0]?.[0] ?? from,
      age: 1,
      inStep: false,
      cancelled: false,
    };
    this.jobs.push(job);
    this.index.add(job, req.namespaces);
    this.cursor ??= job.need;
    this.schedule();
    return {
      cancel: () => {
        if (job.cancelled) return;
        job.cancelled = true;
        this.counters.cancelled += 1;
      },
    };
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.slice());
  }

  /** One slice: folds until the clock says stop, ending the folds that have all they need. */
  private slice(): void {
    this.scheduled = false;
    this.counters.slices += 1;
    const start = performance.now();
    const away = this.yieldedAt === undefined ? 0 : start - this.yieldedAt;
    const deadline = start + Math.min(this.maxSliceMs, Math.max(this.sliceMs, away));
    do {
      this.settle();
      if (this.jobs.length === 0) {
        this.cursor = undefined;
        this.yieldedAt = undefined;
        return;
      }
      const from = this.nextCursor(this.cursor!);
      // The folds in step with the scan: those whose next flow is here or ahead. A fold whose
      // next flow lies behind waits for the next lap, so that its ranges stay whole.
      const active = this.jobs.filter((j) => (j.inStep = j.need >= from));
      const end = Math.max(...active.map((j) => j.ranges[0]![1]));
      const max = Math.max(1, Math.floor(PAIRS_PER_CHECK / active.length));
      const visit = (j: Job) => foldInto(j, this.flow!, this.seq, this.keysBy);
      const to = this.store.scanSlice(
        from,
        end,
        max,
        (f, seq) => {
          this.flow = f;
          this.seq = seq;
          const k = this.keysBy;
          k.workload = k.service = k.pod = undefined;
          this.index.forCandidates(f.source.namespace, f.destination.namespace, visit);
        },
        // Not one fold takes a flow that touches none of these: it is not even put together.
        this.index.pinnedNamespaces(),
      );
      for (const j of active) if (j.need < to) j.need = to;
      this.cursor = to;
    } while (performance.now() < deadline);
    this.yieldedAt = performance.now();
    this.schedule();
  }

  /** Where the scan goes on: at the nearest flow a fold needs from here, else a new lap. */
  private nextCursor(c: number): number {
    let ahead = Infinity;
    let first = Infinity;
    for (const j of this.jobs) {
      if (j.need >= c) ahead = Math.min(ahead, j.need);
      first = Math.min(first, j.need);
    }
    if (ahead !== Infinity) return ahead;
    this.counters.laps += 1;
    return first;
  }

  /**
   * Drops cancelled folds, skips what history no longer holds (evicted since the fold asked),
   * moves each fold past its finished ranges, and ends those with none left.
   */
  private settle(): void {
    const held = this.store.oldestSeq > 0 ? this.store.oldestSeq : this.store.lastSeq + 1;
    const ended: Job[] = [];
    const left: Job[] = [];
    for (const j of this.jobs) {
      if (j.cancelled) {
        this.index.delete(j);
        continue;
      }
      j.need = Math.max(j.need, held);
      while (j.ranges.length > 0 && j.need > j.ranges[0]![1]) {
        j.ranges.shift();
        j.age += 1;
        if (j.ranges.length > 0) j.need = Math.max(j.ranges[0]![0], held);
      }
      if (j.ranges.length > 0) left.push(j);
      else {
        this.index.delete(j);
        ended.push(j);
      }
    }
    this.jobs = left;
    for (const j of ended) {
      this.counters.completed += 1;
      j.req.done();
    }
  }
}

/** Counts a flow into one fold's map, if the fold is at it and its filter takes it. */
function foldInto(
  j: Job,
  f: EnrichedFlow,
  seq: number,
  keysBy: Partial<Record<Grouping, EdgeKeys>>,
): void {
  if (!j.inStep || j.cancelled || seq < j.need || seq > j.ranges[0]![1]) return;
  const map = j.req.map;
  if (!map.inScope(f) || !j.req.match(f)) return;
  // A flow's map keys depend on the grouping alone: computed once for every fold that counts it.
  const keys = (keysBy[map.grouping] ??= map.keysOf(f));
  map.add(f, j.req.atMs ?? Number(BigInt(f.timeNs) / 1_000_000n), keys, j.age);
}
