// History: a bounded in-memory ring of enriched flows, each with the Hubble record it came
// from (so exports stay byte-compatible with `hubble observe -o json`), plus the cluster
// model's changes on the same timeline. Bounded by count and by (estimated) bytes; what falls
// out is counted. Queries walk newest-first and stop at the limit, so the UI's usual question
// ("the last 500 drops in this namespace") costs the answer, not the history.
//
// The ring is kept in columns, not as objects: per flow, numbers in typed arrays (ports, the
// id's 16 bytes), references to what flows share (peers without their port, see
// packed-peers.ts; node, verdict and other names the decoder hands out once), and the record's
// wire bytes copied into large off-heap slabs. A flow read back is put together again, field
// for field as it went in, in the contract's field order. Held as objects, each flow kept some
// thirty of its own on the heap, and the garbage collector copied and marked them all, over and
// over; at Relay rates that took more of the client's time than decoding and enriching.
import { Buffer } from 'node:buffer';
import type { EnrichedFlow, EnrichedL7, Peer, PolicyRef } from '../enrich/types.ts';
import { podMatches, textMatches } from '../shared/filter.ts';
import { decodeFrame, recordOf } from '../hubble/flow-decoder.ts';
import type { FlowRecord } from '../hubble/types.ts';
import { packUuid, uuidOf } from '../shared/uuid.ts';
import { PeerTemplates, withPort } from './packed-peers.ts';

export interface StoredFlow {
  /** Monotonic per process, from 1; the WebSocket stream resumes by it. */
  readonly seq: number;
  /** Put together again on each read: a new object, equal to the flow added. */
  readonly flow: EnrichedFlow;
  /** Decoded again from its wire bytes on each read, when it came with them. */
  readonly record: FlowRecord;
  /** Estimated bytes held for this entry. */
  readonly bytes: number;
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
  /** Either side in one of these namespaces (what a filter requires; judged before the rest). */
  namespaces?: readonly string[];
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
  /** Flows a lazy read (`entries`: an export) had not reached yet when they were evicted. */
  evictedUnread: number;
  oldestNs?: string;
  newestNs?: string;
}

/**
 * Bytes a packed entry takes besides its variable parts: its slot in every column, its two time
 * texts, and its share of slab slack. Measured by `npm run bench -- history` (about 1.06 KB a
 * three-tier flow in all, two thirds of it the record's wire bytes off the heap).
 */
const SLOT_BYTES = 300;
/** What an entry kept as objects takes (see UNPACKED), as the whole-object ring measured. */
const OBJECT_OVERHEAD = 900;

function peerBytes(p: Peer): number {
  let n =
    p.ip.length + (p.pod?.length ?? 0) + (p.namespace?.length ?? 0) + (p.service?.length ?? 0);
  for (const l of p.labels) n += l.length + 16;
  for (const l of p.names ?? []) n += l.length + 16;
  return n;
}

function l7Bytes(f: EnrichedFlow): number {
  let n = 0;
  if (f.l7?.http) n += 64 + f.l7.http.url.length + f.l7.http.path.length;
  if (f.l7?.dns) n += 64 + f.l7.dns.query.length + f.l7.dns.ips.length * 40;
  return n;
}

/**
 * Estimated bytes of one history entry: its slot, the record's wire bytes (or the decoded
 * record, at twice its strings), and the flow's variable strings. Peers are counted in full for
 * every flow although history shares them, so hostile labels make the estimate err on the safe
 * side.
 */
export function estimateBytes(f: EnrichedFlow, wireBytes?: number, whole = !packable(f)): number {
  const strings = peerBytes(f.source) + peerBytes(f.destination) + l7Bytes(f);
  // A flow kept whole holds its objects besides its slot.
  const objects = whole ? OBJECT_OVERHEAD : 0;
  if (wireBytes === undefined) return OBJECT_OVERHEAD + objects + strings * 2;
  return SLOT_BYTES + objects + wireBytes + strings;
}

function validPort(p: number | undefined): boolean {
  return p === undefined || (Number.isInteger(p) && p >= 0 && p <= 0x7fffffff);
}

/** Whether the columns can hold a flow: its ports fit them. */
function packable(f: EnrichedFlow): boolean {
  return validPort(f.source.port) && validPort(f.destination.port);
}

function touches(a: Peer, b: Peer, namespaces: readonly string[]): boolean {
  return (
    (a.namespace !== undefined && namespaces.includes(a.namespace)) ||
    (b.namespace !== undefined && namespaces.includes(b.namespace))
  );
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
  if (q.namespaces && !touches(f.source, f.destination, q.namespaces)) return false;
  if (q.pod && !podMatches(f.source, q.pod) && !podMatches(f.destination, q.pod)) return false;
  if (needle && !textMatches(f, needle)) return false;
  if (q.predicate && !q.predicate(f)) return false;
  return true;
}

const NO_REFS = Object.freeze([]) as unknown as PolicyRef[];
/** The policy part of a flow that names no policy, for looks that keep nothing. */
const PLAIN_POLICY: EnrichedFlow['policy'] = Object.freeze({
  allowedBy: NO_REFS,
  deniedBy: NO_REFS,
});

function fillPeer(to: Peer, t: Peer, port: number | undefined): void {
  to.ip = t.ip;
  to.port = port;
  to.kind = t.kind;
  to.namespace = t.namespace;
  to.pod = t.pod;
  to.workload = t.workload;
  to.service = t.service;
  to.labels = t.labels;
  to.names = t.names;
  to.identity = t.identity;
  to.node = t.node;
}
/** Slabs the wire bytes are copied into; a record bigger than a quarter of one gets its own. */
const SLAB_BYTES = 1 << 20;
const NO_PORT = -1;

class Entry implements StoredFlow {
  constructor(
    readonly seq: number,
    readonly flow: EnrichedFlow,
    readonly bytes: number,
    private readonly source: FlowRecord | Uint8Array,
  ) {}

  get record(): FlowRecord {
    if (!(this.source instanceof Uint8Array)) return this.source;
    const d = decodeFrame(
      Buffer.from(this.source.buffer, this.source.byteOffset, this.source.length),
    );
    // The bytes decoded once already; the same decoder gives the same record again.
    return recordOf(d)!;
  }
}

/** Every column, one slot per flow; typed arrays for numbers, arrays for references. */
class Columns {
  readonly seq: Float64Array;
  /** The flow's time in nanoseconds, the record's own bigint (converting it costs more). */
  readonly tns: bigint[];
  readonly bytes: Float64Array;
  /** The id's 16 bytes when it is a UUID (`ids` holds any other). */
  readonly uuid: Uint32Array;
  readonly sport: Int32Array;
  readonly dport: Int32Array;
  /** isReply: 0 absent, 1 false, 2 true. */
  readonly reply: Uint8Array;
  readonly wireAt: Int32Array;
  readonly wireLen: Int32Array;
  /** A flow kept as it came, whole: one whose ports no column holds. */
  readonly unpacked: (EnrichedFlow | undefined)[];
  readonly record: (FlowRecord | undefined)[];
  readonly slab: (Uint8Array | undefined)[];
  readonly ids: (string | undefined)[];
  /** The flow's two time texts, as given (deriving them costs more than holding them). */
  readonly time: string[];
  readonly timeNs: string[];
  readonly node: string[];
  readonly verdict: EnrichedFlow['verdict'][];
  readonly protocol: string[];
  readonly dropReason: (string | undefined)[];
  readonly direction: EnrichedFlow['direction'][];
  readonly type: (string | undefined)[];
  readonly summary: (string | undefined)[];
  readonly l7: (EnrichedL7 | undefined)[];
  /** Undefined for the usual policy part: no policy named, nothing explained. */
  readonly policy: (EnrichedFlow['policy'] | undefined)[];
  readonly src: Peer[];
  readonly dst: Peer[];

  constructor(readonly size: number) {
    this.seq = new Float64Array(size);
    this.bytes = new Float64Array(size);
    this.uuid = new Uint32Array(size * 4);
    this.sport = new Int32Array(size);
    this.dport = new Int32Array(size);
    this.reply = new Uint8Array(size);
    this.wireAt = new Int32Array(size);
    this.wireLen = new Int32Array(size);
    const refs = <T>() => new Array<T>(size).fill(undefined as T);
    this.unpacked = refs();
    this.record = refs();
    this.slab = refs();
    this.ids = refs();
    this.time = refs();
    this.timeNs = refs();
    this.tns = refs();
    this.node = refs();
    this.verdict = refs();
    this.protocol = refs();
    this.dropReason = refs();
    this.direction = refs();
    this.type = refs();
    this.summary = refs();
    this.l7 = refs();
    this.policy = refs();
    this.src = refs();
    this.dst = refs();
  }

  /** A copy `size` slots long, holding this ring's `count` entries from `head` at slot 0. */
  resized(size: number, head: number, count: number): Columns {
    const next = new Columns(size);
    // The ring's two runs, [head, end) then [0, rest), moved as blocks.
    const first = Math.min(count, this.size - head);
    const rest = count - first;
    const typed = <T extends Float64Array | Int32Array | Uint32Array | Uint8Array>(
      from: T,
      to: T,
      stride = 1,
    ) => {
      (to as Uint8Array).set(
        (from as Uint8Array).subarray(head * stride, (head + first) * stride),
        0,
      );
      (to as Uint8Array).set((from as Uint8Array).subarray(0, rest * stride), first * stride);
    };
    const refs = <T>(from: T[], to: T[]) => {
      for (let k = 0; k < first; k++) to[k] = from[head + k]!;
      for (let k = 0; k < rest; k++) to[first + k] = from[k]!;
    };
    typed(this.seq, next.seq);
    typed(this.bytes, next.bytes);
    typed(this.uuid, next.uuid, 4);
    typed(this.sport, next.sport);
    typed(this.dport, next.dport);
    typed(this.reply, next.reply);
    typed(this.wireAt, next.wireAt);
    typed(this.wireLen, next.wireLen);
    refs(this.unpacked, next.unpacked);
    refs(this.record, next.record);
    refs(this.slab, next.slab);
    refs(this.ids, next.ids);
    refs(this.time, next.time);
    refs(this.timeNs, next.timeNs);
    refs(this.tns, next.tns);
    refs(this.node, next.node);
    refs(this.verdict, next.verdict);
    refs(this.protocol, next.protocol);
    refs(this.dropReason, next.dropReason);
    refs(this.direction, next.direction);
    refs(this.type, next.type);
    refs(this.summary, next.summary);
    refs(this.l7, next.l7);
    refs(this.policy, next.policy);
    refs(this.src, next.src);
    refs(this.dst, next.dst);
    return next;
  }

  /** Lets go of what a slot refers to, so an evicted flow's objects can be collected. */
  clear(i: number): void {
    this.unpacked[i] = undefined;
    this.tns[i] = undefined as unknown as bigint;
    this.record[i] = undefined;
    this.slab[i] = undefined;
    this.ids[i] = undefined;
    this.time[i] = undefined as unknown as string;
    this.timeNs[i] = undefined as unknown as string;
    this.summary[i] = undefined;
    this.l7[i] = undefined;
    this.policy[i] = undefined;
    this.src[i] = undefined as unknown as Peer;
    this.dst[i] = undefined as unknown as Peer;
  }
}

export class FlowStore {
  private cols: Columns;
  private head = 0; // slot of the oldest entry
  private count = 0;
  private bytes = 0;
  private evicted = 0;
  private nextSeq = 1;
  private tooLarge = 0;
  private evictedUnread = 0;
  private readonly maxFlows: number;
  private readonly maxBytes: number;
  private readonly maxTimeline: number;
  private readonly timelineEvents: TimelineEvent[] = [];
  private readonly peers = new PeerTemplates();
  private slab: Uint8Array = new Uint8Array(0);
  private scratchSlot = 0;
  private readonly scratch: EnrichedFlow = {
    id: '',
    time: '',
    timeNs: '',
    node: '',
    verdict: 'UNKNOWN',
    protocol: '',
    source: withPort({ ip: '', kind: 'unknown', labels: [] }, undefined),
    destination: withPort({ ip: '', kind: 'unknown', labels: [] }, undefined),
    policy: { allowedBy: NO_REFS, deniedBy: NO_REFS },
    dropReason: undefined,
    direction: undefined,
    isReply: undefined,
    type: undefined,
    l7: undefined,
    summary: undefined,
  };
  private slabUsed = 0;
  /** The sequence number of the last entry copied into the current slab. */
  private slabLastSeq = 0;
  private readonly filled: { slab: Uint8Array; lastSeq: number }[] = [];
  private readonly spare: Uint8Array[] = [];

  constructor(opts: FlowStoreOptions = {}) {
    this.maxFlows = opts.maxFlows ?? 100_000;
    this.maxBytes = opts.maxBytes ?? 256 * 1024 * 1024;
    this.maxTimeline = opts.maxTimeline ?? 10_000;
    if (!(Number.isInteger(this.maxFlows) && this.maxFlows > 0)) {
      throw new RangeError(`maxFlows must be a positive integer, got ${this.maxFlows}`);
    }
    if (!(this.maxBytes > 0))
      throw new RangeError(`maxBytes must be positive, got ${this.maxBytes}`);
    this.cols = new Columns(Math.min(this.maxFlows, 1024));
    Object.defineProperty(this.scratch, 'id', {
      enumerable: true,
      get: () => this.idAt(this.scratchSlot),
    });
  }

  private idAt(i: number): string {
    return this.cols.ids[i] ?? uuidOf(this.cols.uuid, i * 4);
  }

  add(flow: EnrichedFlow, record: FlowRecord): StoredFlow {
    const seq = this.nextSeq++;
    const wire = record.wire;
    const whole = !packable(flow);
    const bytes = estimateBytes(flow, wire?.length, whole);
    if (bytes > this.maxBytes) {
      // One flow bigger than all of history (hostile labels): streamed, never kept.
      this.tooLarge += 1;
      return { seq, flow, record, bytes };
    }
    while (this.count > 0 && (this.count >= this.maxFlows || this.bytes + bytes > this.maxBytes)) {
      this.dropOldest();
    }
    if (this.count === this.cols.size) this.grow();
    const i = (this.head + this.count) % this.cols.size;
    this.put(i, seq, flow, record, bytes, whole);
    this.count += 1;
    this.bytes += bytes;
    return { seq, flow, record, bytes };
  }

  private put(
    i: number,
    seq: number,
    f: EnrichedFlow,
    rec: FlowRecord,
    bytes: number,
    whole: boolean,
  ): void {
    const c = this.cols;
    const t = rec.timeNs;
    c.seq[i] = seq;
    c.bytes[i] = bytes;
    if (rec.wire) this.copyWire(i, rec.wire);
    else c.record[i] = rec;
    c.tns[i] = t;
    if (whole) {
      c.unpacked[i] = f;
      return;
    }
    if (!packUuid(f.id, c.uuid, i * 4)) c.ids[i] = f.id;
    c.time[i] = f.time;
    c.timeNs[i] = f.timeNs;
    c.node[i] = f.node;
    c.verdict[i] = f.verdict;
    c.protocol[i] = f.protocol;
    c.dropReason[i] = f.dropReason;
    c.direction[i] = f.direction;
    c.reply[i] = f.isReply === undefined ? 0 : f.isReply ? 2 : 1;
    c.type[i] = f.type;
    c.summary[i] = f.summary;
    c.l7[i] = f.l7;
    const p = f.policy;
    const plain =
      p.allowedBy.length === 0 &&
      p.deniedBy.length === 0 &&
      p.explanation === undefined &&
      p.disagreement === undefined;
    c.policy[i] = plain ? undefined : p;
    c.src[i] = this.peers.of(f.source);
    c.dst[i] = this.peers.of(f.destination);
    c.sport[i] = f.source.port ?? NO_PORT;
    c.dport[i] = f.destination.port ?? NO_PORT;
  }

  private copyWire(i: number, wire: Uint8Array): void {
    const c = this.cols;
    if (wire.length > SLAB_BYTES / 4) {
      c.slab[i] = Uint8Array.from(wire);
      c.wireAt[i] = 0;
    } else {
      if (this.slabUsed + wire.length > this.slab.length) this.nextSlab();
      this.slab.set(wire, this.slabUsed);
      c.slab[i] = this.slab;
      c.wireAt[i] = this.slabUsed;
      this.slabUsed += wire.length;
      this.slabLastSeq = c.seq[i]!;
    }
    c.wireLen[i] = wire.length;
  }

  /**
   * Slabs are off the JS heap (the collector never copies them) and reused once eviction has
   * passed the last entry in them: a fresh one costs a page fault per 4 KiB on first touch,
   * which in a VM was most of what copying a record cost.
   */
  private nextSlab(): void {
    if (this.slab.length > 0) this.filled.push({ slab: this.slab, lastSeq: this.slabLastSeq });
    this.slab =
      this.spare.pop() ?? new Uint8Array(Buffer.allocUnsafeSlow(SLAB_BYTES).buffer, 0, SLAB_BYTES);
    this.slabUsed = 0;
  }

  /** Slabs whose entries are all evicted once `seq` is, kept (two at most) for reuse. */
  private releaseSlabs(seq: number): void {
    while (this.filled.length > 0 && this.filled[0]!.lastSeq <= seq) {
      const { slab } = this.filled.shift()!;
      if (this.spare.length < 2) this.spare.push(slab);
    }
  }

  /** The flow in slot `i`, put together again. */
  private flowAt(i: number): EnrichedFlow {
    const v = this.viewAt(i);
    if (v !== this.scratch) return v; // kept whole
    return {
      id: this.idAt(i),
      time: v.time,
      timeNs: v.timeNs,
      node: v.node,
      verdict: v.verdict,
      protocol: v.protocol,
      source: withPort(v.source, v.source.port),
      destination: withPort(v.destination, v.destination.port),
      policy: v.policy === PLAIN_POLICY ? { allowedBy: NO_REFS, deniedBy: NO_REFS } : v.policy,
      dropReason: v.dropReason,
      direction: v.direction,
      isReply: v.isReply,
      type: v.type,
      l7: v.l7,
      summary: v.summary,
    };
  }

  /**
   * The flow in slot `i` written into one reused object, for a look that keeps nothing: a
   * filter deciding, a map counting. Folding all of history into a view's map would otherwise
   * make and drop a flow and two peers for every entry.
   */
  private viewAt(i: number): EnrichedFlow {
    const c = this.cols;
    const u = c.unpacked[i];
    if (u) return u;
    const v = this.scratch;
    const reply = c.reply[i]!;
    const sport = c.sport[i]!;
    const dport = c.dport[i]!;
    // The id is made only when asked for (a filter by id is rare; the string is not cheap).
    this.scratchSlot = i;
    v.time = c.time[i]!;
    v.timeNs = c.timeNs[i]!;
    v.node = c.node[i]!;
    v.verdict = c.verdict[i]!;
    v.protocol = c.protocol[i]!;
    fillPeer(v.source, c.src[i]!, sport === NO_PORT ? undefined : sport);
    fillPeer(v.destination, c.dst[i]!, dport === NO_PORT ? undefined : dport);
    v.policy = c.policy[i] ?? PLAIN_POLICY;
    v.dropReason = c.dropReason[i];
    v.direction = c.direction[i];
    v.isReply = reply === 0 ? undefined : reply === 2;
    v.type = c.type[i];
    v.l7 = c.l7[i];
    v.summary = c.summary[i];
    return v;
  }

  /** The record in slot `i`, or a copy of its bytes (the slab is reused after eviction). */
  private recordAt(i: number): FlowRecord | Uint8Array {
    const c = this.cols;
    const slab = c.slab[i];
    if (!slab) return c.record[i]!;
    return slab.slice(c.wireAt[i]!, c.wireAt[i]! + c.wireLen[i]!);
  }

  private slot(k: number): number {
    return (this.head + k) % this.cols.size;
  }

  private entryAt(k: number): StoredFlow {
    const i = this.slot(k);
    return new Entry(this.cols.seq[i]!, this.flowAt(i), this.cols.bytes[i]!, this.recordAt(i));
  }

  /** The ring grows by doubling up to maxFlows, so a small lab never reserves a big one. */
  private grow(): void {
    const size = Math.min(this.maxFlows, this.cols.size * 2);
    this.cols = this.cols.resized(size, this.head, this.count);
    this.head = 0;
  }

  private dropOldest(): void {
    const i = this.head;
    this.releaseSlabs(this.cols.seq[i]!);
    this.bytes -= this.cols.bytes[i]!;
    this.cols.clear(i);
    this.head = (this.head + 1) % this.cols.size;
    this.count -= 1;
    this.evicted += 1;
  }

  private timeAt(k: number): bigint {
    return this.cols.tns[this.slot(k)]!;
  }

  /** Index of the first entry with timeNs >= t (history is near-sorted by time). */
  private lowerBound(t: bigint): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timeAt(mid) < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Index of the first entry with seq > n. Sequence numbers only increase, but they have gaps:
   * a flow too large to keep still takes one. So this searches; it does not subtract.
   */
  private afterSeqIndex(n: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cols.seq[this.slot(mid)]! <= n) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The lowest sequence number still held (0 when empty). */
  get oldestSeq(): number {
    return this.count === 0 ? 0 : this.cols.seq[this.head]!;
  }

  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** The newest entry with this flow id, if still held. */
  byId(id: string): StoredFlow | undefined {
    const c = this.cols;
    const words = new Uint32Array(4);
    const isUuid = packUuid(id, words, 0);
    for (let k = this.count - 1; k >= 0; k--) {
      const i = this.slot(k);
      const u = c.unpacked[i];
      const hit = u
        ? u.id === id
        : c.ids[i] !== undefined
          ? c.ids[i] === id
          : isUuid &&
            c.uuid[i * 4] === words[0] &&
            c.uuid[i * 4 + 1] === words[1] &&
            c.uuid[i * 4 + 2] === words[2] &&
            c.uuid[i * 4 + 3] === words[3];
      if (hit) return this.entryAt(k);
    }
    return undefined;
  }

  /** Whether slot `i` can match `q` at all, judged on its columns before it is put together. */
  private mayMatch(i: number, q: FlowQuery): boolean {
    const c = this.cols;
    if (c.unpacked[i]) return true;
    if (q.verdict && c.verdict[i] !== q.verdict) return false;
    if (q.namespace && c.src[i]!.namespace !== q.namespace && c.dst[i]!.namespace !== q.namespace) {
      return false;
    }
    return !q.namespaces || touches(c.src[i]!, c.dst[i]!, q.namespaces);
  }

  /** Matching entries, oldest first. */
  query(q: FlowQuery = {}): StoredFlow[] {
    let start = q.sinceNs === undefined ? 0 : this.lowerBound(q.sinceNs);
    if (q.afterSeq !== undefined) start = Math.max(start, this.afterSeqIndex(q.afterSeq));
    const end = q.untilNs === undefined ? this.count : this.lowerBound(q.untilNs);
    const limit = q.limit ?? Infinity;
    const needle = q.text?.toLowerCase();
    const out: StoredFlow[] = [];
    for (let k = end - 1; k >= start && out.length < limit; k--) {
      const i = this.slot(k);
      if (!this.mayMatch(i, q) || !matches(this.viewAt(i), q, needle)) continue;
      out.push(new Entry(this.cols.seq[i]!, this.flowAt(i), this.cols.bytes[i]!, this.recordAt(i)));
    }
    return out.reverse();
  }

  /**
   * What `query` answers, made one entry at a time as it is read, oldest first: an export of all
   * of history never holds more than the entry being sent. The reader may take its time (a slow
   * download): positions are sequence numbers, flows stored after the call are not included,
   * and entries evicted before they were reached are skipped.
   */
  *entries(q: FlowQuery = {}): Generator<StoredFlow> {
    let start = q.sinceNs === undefined ? 0 : this.lowerBound(q.sinceNs);
    if (q.afterSeq !== undefined) start = Math.max(start, this.afterSeqIndex(q.afterSeq));
    const end = q.untilNs === undefined ? this.count : this.lowerBound(q.untilNs);
    if (start >= end) return;
    const needle = q.text?.toLowerCase();
    const take = (k: number) => {
      const i = this.slot(k);
      return this.mayMatch(i, q) && matches(this.viewAt(i), q, needle);
    };
    // The newest `limit` matches, as query answers: find where they begin, then go forward.
    const limit = q.limit ?? Infinity;
    if (limit < end - start) {
      let found = 0;
      let k = end - 1;
      for (; k >= start && found < limit; k--) if (take(k)) found += 1;
      start = k + 1;
    }
    const lastSeq = this.cols.seq[this.slot(end - 1)]!;
    let next = this.cols.seq[this.slot(start)]!;
    while (next <= lastSeq) {
      // Found again each time: between two reads flows may have come and gone.
      if (this.count > 0 && next < this.oldestSeq) {
        this.evictedUnread += Math.min(this.oldestSeq, lastSeq + 1) - next;
        next = this.oldestSeq;
      }
      const k = this.afterSeqIndex(next - 1);
      if (k >= this.count) return;
      const i = this.slot(k);
      const seq = this.cols.seq[i]!;
      if (seq > lastSeq) return;
      next = seq + 1;
      if (!take(k)) continue;
      yield new Entry(seq, this.flowAt(i), this.cols.bytes[i]!, this.recordAt(i));
    }
  }

  /** The sequence number of the first entry at or after time `t` (lastSeq + 1 when none is). */
  seqAtTime(t: bigint): number {
    const k = this.lowerBound(t);
    return k < this.count ? this.cols.seq[this.slot(k)]! : this.nextSeq;
  }

  /**
   * Calls `fn` with at most `max` flows whose sequence numbers lie in [fromSeq, toSeq], oldest
   * first, skipping (uncounted) those that touch none of `namespaces` when given, and returns
   * the sequence number to go on from: past toSeq, or past the newest flow, when there is nothing
   * more. The flow is one object reused from call to call: read it, never keep it (a map
   * folding history in). Positions are sequence numbers, not slots, so a scan can go on in a
   * later turn although flows arrived and were evicted meanwhile; it goes on from the oldest
   * flow still held when eviction has passed `fromSeq`.
   */
  scanSlice(
    fromSeq: number,
    toSeq: number,
    max: number,
    fn: (f: EnrichedFlow, seq: number) => void,
    namespaces?: readonly string[],
  ): number {
    const c = this.cols;
    let k = this.afterSeqIndex(fromSeq - 1);
    for (let n = 0; n < max && k < this.count; n++, k++) {
      const i = this.slot(k);
      if (c.seq[i]! > toSeq) return c.seq[i]!;
      // What the filters require is judged on the shared peers, before a flow is put together.
      if (namespaces && !c.unpacked[i] && !touches(c.src[i]!, c.dst[i]!, namespaces)) continue;
      fn(this.viewAt(i), c.seq[i]!);
    }
    return k < this.count ? c.seq[this.slot(k)]! : this.nextSeq;
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
      evictedUnread: this.evictedUnread,
    };
    if (this.count > 0) {
      s.oldestNs = this.timeAt(0).toString();
      s.newestNs = this.timeAt(this.count - 1).toString();
    }
    return s;
  }
}
