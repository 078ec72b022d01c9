// History: a bounded in-memory ring of enriched flows, each with the Hubble record it came
// from (so exports stay byte-compatible with `hubble observe -o json`), plus the cluster
// model's changes on the same timeline. Bounded by count and by (estimated) bytes; what falls
// out is counted. Queries walk newest-first and stop at the limit, so the UI's usual question
// ("the last 500 drops in this namespace") costs the answer, not the history.
import type { EnrichedFlow, Peer } from '../enrich/types.ts';
import { podMatches, textMatches } from '../shared/filter.ts';
import type { FlowRecord } from '../hubble/types.ts';

export interface StoredFlow {
  /** Monotonic per process, from 1; the WebSocket stream resumes by it. */
  seq: number;
  flow: EnrichedFlow;
  record: FlowRecord;
  /** Estimated bytes held for this entry. */
  bytes: number;
}

export interface FlowQuery {
  /** Inclusive lower bound, nanoseconds. */
  sinceNs?: bigint;
  /** Exclusive upper bound, nanoseconds. */
  untilNs?: bigint;
  /** The newest `limit` matches (returned oldest first). */
  limit?: number;
  verdict?: string;
  /** Either side in this namespace. */
  namespace?: string;
  /** Either side is this pod, `name` or `ns/name`, prefix match like `hubble observe --pod`. */
  pod?: string;
  /** Case-insensitive substring of names, IPs, labels, DNS query or HTTP path. */
  text?: string;
  /** Only entries after this sequence number. */
  afterSeq?: number;
  /** Any other condition (a compiled filter). */
  predicate?: (f: EnrichedFlow) => boolean;
}

export interface TimelineEvent {
  timeMs: number;
  revision: number;
  type: 'added' | 'modified' | 'deleted';
  kind: string;
  namespace?: string;
  name: string;
}

export interface FlowStoreOptions {
  maxFlows?: number;
  maxBytes?: number;
  maxTimeline?: number;
}

export interface FlowStoreStats {
  flows: number;
  bytes: number;
  maxFlows: number;
  maxBytes: number;
  /** Flows pushed out of history by the limits since start. */
  evicted: number;
  /** Flows larger than the whole byte limit, never kept. */
  tooLarge: number;
  oldestNs?: string;
  newestNs?: string;
}

/**
 * Heap an entry takes besides its variable strings: the entry, the enriched flow and its peers,
 * and the decoded Hubble record. Measured by `npm run bench -- history` (about 1.2 KB a
 * three-tier flow in all, against 3 KB this estimate used to say).
 */
const ENTRY_OVERHEAD = 900;

function peerBytes(p: Peer): number {
  let n =
    p.ip.length + (p.pod?.length ?? 0) + (p.namespace?.length ?? 0) + (p.service?.length ?? 0);
  for (const l of p.labels) n += l.length + 16;
  for (const l of p.names ?? []) n += l.length + 16;
  return n;
}

/**
 * Estimated heap bytes of one history entry. Variable strings count twice, once in the flow and
 * once in the record; labels shared with the cluster model count too, so hostile labels make
 * the estimate err on the safe side.
 */
export function estimateBytes(f: EnrichedFlow): number {
  let n = peerBytes(f.source) + peerBytes(f.destination);
  if (f.l7?.http) n += f.l7.http.url.length + f.l7.http.path.length;
  if (f.l7?.dns) n += f.l7.dns.query.length + f.l7.dns.ips.length * 40;
  return ENTRY_OVERHEAD + n * 2;
}

export function matches(f: EnrichedFlow, q: FlowQuery, needle?: string): boolean {
  if (q.verdict && f.verdict !== q.verdict) return false;
  if (
    q.namespace &&
    f.source.namespace !== q.namespace &&
    f.destination.namespace !== q.namespace
  ) {
    return false;
  }
  if (q.pod && !podMatches(f.source, q.pod) && !podMatches(f.destination, q.pod)) return false;
  if (needle && !textMatches(f, needle)) return false;
  if (q.predicate && !q.predicate(f)) return false;
  return true;
}

export class FlowStore {
  private ring: (StoredFlow | undefined)[];
  private head = 0; // index of the oldest entry
  private count = 0;
  private bytes = 0;
  private evicted = 0;
  private nextSeq = 1;
  private tooLarge = 0;
  private readonly maxFlows: number;
  private readonly maxBytes: number;
  private readonly maxTimeline: number;
  private readonly timelineEvents: TimelineEvent[] = [];

  constructor(opts: FlowStoreOptions = {}) {
    this.maxFlows = opts.maxFlows ?? 100_000;
    this.maxBytes = opts.maxBytes ?? 256 * 1024 * 1024;
    this.maxTimeline = opts.maxTimeline ?? 10_000;
    if (!(Number.isInteger(this.maxFlows) && this.maxFlows > 0)) {
      throw new RangeError(`maxFlows must be a positive integer, got ${this.maxFlows}`);
    }
    if (!(this.maxBytes > 0))
      throw new RangeError(`maxBytes must be positive, got ${this.maxBytes}`);
    this.ring = new Array<StoredFlow | undefined>(Math.min(this.maxFlows, 1024));
  }

  add(flow: EnrichedFlow, record: FlowRecord): StoredFlow {
    const entry: StoredFlow = { seq: this.nextSeq++, flow, record, bytes: estimateBytes(flow) };
    if (entry.bytes > this.maxBytes) {
      // One flow bigger than all of history (hostile labels): streamed, never kept.
      this.tooLarge += 1;
      return entry;
    }
    while (
      this.count > 0 &&
      (this.count >= this.maxFlows || this.bytes + entry.bytes > this.maxBytes)
    ) {
      this.dropOldest();
    }
    if (this.count === this.ring.length) this.grow();
    this.ring[(this.head + this.count) % this.ring.length] = entry;
    this.count += 1;
    this.bytes += entry.bytes;
    return entry;
  }

  /** The ring grows by doubling up to maxFlows, so a small lab never reserves a big array. */
  private grow(): void {
    const size = Math.min(this.maxFlows, this.ring.length * 2);
    const next = new Array<StoredFlow | undefined>(size);
    for (let i = 0; i < this.count; i++) next[i] = this.ring[(this.head + i) % this.ring.length];
    this.ring = next;
    this.head = 0;
  }

  private dropOldest(): void {
    const e = this.ring[this.head];
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.ring.length;
    this.count -= 1;
    this.bytes -= e?.bytes ?? 0;
    this.evicted += 1;
  }

  private at(i: number): StoredFlow {
    return this.ring[(this.head + i) % this.ring.length]!;
  }

  /** Index of the first entry with timeNs >= t (history is near-sorted by time). */
  private lowerBound(t: bigint): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid).record.timeNs < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first entry with seq > n (sequence numbers are strictly increasing). */
  private afterSeqIndex(n: number): number {
    if (this.count === 0) return 0;
    return Math.min(this.count, Math.max(0, n - this.at(0).seq + 1));
  }

  /** The lowest sequence number still held (0 when empty). */
  get oldestSeq(): number {
    return this.count === 0 ? 0 : this.at(0).seq;
  }

  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** The newest entry with this flow id, if still held. */
  byId(id: string): StoredFlow | undefined {
    for (let i = this.count - 1; i >= 0; i--) if (this.at(i).flow.id === id) return this.at(i);
    return undefined;
  }

  /** Matching entries, oldest first. */
  query(q: FlowQuery = {}): StoredFlow[] {
    let start = q.sinceNs === undefined ? 0 : this.lowerBound(q.sinceNs);
    if (q.afterSeq !== undefined) start = Math.max(start, this.afterSeqIndex(q.afterSeq));
    const end = q.untilNs === undefined ? this.count : this.lowerBound(q.untilNs);
    const limit = q.limit ?? Infinity;
    const needle = q.text?.toLowerCase();
    const out: StoredFlow[] = [];
    for (let i = end - 1; i >= start && out.length < limit; i--) {
      const e = this.at(i);
      if (matches(e.flow, q, needle)) out.push(e);
    }
    return out.reverse();
  }

  /** Every entry in a time window, oldest first, for building a past map. */
  *window(sinceNs?: bigint, untilNs?: bigint): Generator<StoredFlow> {
    const start = sinceNs === undefined ? 0 : this.lowerBound(sinceNs);
    const end = untilNs === undefined ? this.count : this.lowerBound(untilNs);
    for (let i = start; i < end; i++) yield this.at(i);
  }

  recordChange(e: TimelineEvent): void {
    this.timelineEvents.push(e);
    if (this.timelineEvents.length > this.maxTimeline) this.timelineEvents.shift();
  }

  timeline(sinceMs = 0, untilMs = Infinity): TimelineEvent[] {
    return this.timelineEvents.filter((e) => e.timeMs >= sinceMs && e.timeMs < untilMs);
  }

  get stats(): FlowStoreStats {
    const s: FlowStoreStats = {
      flows: this.count,
      bytes: this.bytes,
      maxFlows: this.maxFlows,
      maxBytes: this.maxBytes,
      evicted: this.evicted,
      tooLarge: this.tooLarge,
    };
    if (this.count > 0) {
      s.oldestNs = this.at(0).record.timeNs.toString();
      s.newestNs = this.at(this.count - 1).record.timeNs.toString();
    }
    return s;
  }
}
