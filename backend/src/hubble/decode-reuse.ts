// Reuse on the GetFlows decode path: a recurring string or sub-message is handed out as the
// object already made for the same bytes. That saves decoding it and, more, saves the history
// one copy per flow, which the garbage collector would otherwise copy and mark again and again
// (it was a third of the client's busy time). Everything is keyed by the exact bytes, so the
// decoded values are the same as without reuse; only identity differs, which is why decoded
// flows are shared and read-only, like the peers enrich builds.
import { Buffer } from 'node:buffer';
import type { Reader } from 'protobufjs';

type Obj = Record<string, unknown>;
export type DecodeFn = (r: Reader, depth: number) => Obj;

/** Reads a sub-message's length and bounds the reader to it; returns the bound to restore. */
export function enter(r: Reader): number {
  const len = r.uint32();
  const end = r.pos + len;
  if (end > r.len) throw new RangeError('index out of range');
  const outer = r.len;
  r.len = end;
  return outer;
}

/** A sub-message must end exactly on its bound, or the bytes are not what they claim. */
export function leave(r: Reader, outer: number): void {
  if (r.pos !== r.len) throw new RangeError('index out of range');
  r.len = outer;
}

// Most strings of a flow (labels, names, namespaces, addresses) are the same as in the flows
// before it. Returning the one string already made for the same bytes saves decoding it and,
// more, saves the history from holding a copy per flow, which the garbage collector would
// otherwise copy and mark again and again. Direct-mapped by a hash of the bytes; ASCII only, so
// the bytes can be compared with the string's characters directly.
const INTERN_SLOTS = 4096;
const INTERN_MAX_BYTES = 64;
const interned: (string | undefined)[] = new Array<string | undefined>(INTERN_SLOTS);

export function internedString(r: Reader): string {
  const len = r.uint32();
  const buf = r.buf as Buffer;
  const start = r.pos;
  const end = start + len;
  // Past the bound protobufjs clips the string to what is there; so does this.
  if (len > INTERN_MAX_BYTES || end > r.len) {
    r.pos = Math.min(end, r.len);
    return buf.toString('utf8', start, r.pos);
  }
  let h = 0x811c9dc5 ^ len;
  let bits = 0;
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    bits |= b;
    h = Math.imul(h ^ b, 0x01000193);
  }
  r.pos = end;
  if (bits & 0x80) return buf.toString('utf8', start, end);
  const slot = (h >>> 0) & (INTERN_SLOTS - 1);
  const hit = interned[slot];
  if (hit !== undefined && hit.length === len) {
    let i = 0;
    while (i < len && hit.charCodeAt(i) === buf[start + i]) i++;
    if (i === len) return hit;
  }
  // For ASCII bytes latin1 and UTF-8 decode alike, and latin1 is the cheaper decoder.
  const s = buf.toString('latin1', start, end);
  interned[slot] = s;
  return s;
}

export function sub(r: Reader, decode: DecodeFn, depth: number): Obj {
  const outer = enter(r);
  const o = decode(r, depth);
  leave(r, outer);
  return o;
}

/**
 * Sub-messages that recur byte for byte from flow to flow (an endpoint, an address pair, a
 * service): the object decoded the first time is handed out again for the same bytes, so the
 * history holds one copy per pod instead of one per flow. Decoded flows are therefore shared
 * and read-only, like the peers enrich builds. Ports, times and L7 latency make the other
 * messages unique, so they are not worth the lookup.
 */
export const SHARED = new Set([
  'flow.Endpoint',
  'flow.Workload',
  'flow.IP',
  'flow.TCPFlags',
  'flow.Service',
  'flow.CiliumEventType',
  'flow.NetworkInterface',
  'flow.Policy',
  'flow.DNS',
  'flow.HTTP',
]);
export const SHARED_SLOTS = 1024;
const SHARED_MAX_BYTES = 512;

export interface SharedEntry {
  bytes: Buffer;
  depth: number;
  value: Obj;
}

export function sharedSub(
  r: Reader,
  decode: DecodeFn,
  depth: number,
  table: (SharedEntry | undefined)[],
): Obj {
  const start = r.pos;
  const len = r.uint32();
  const from = r.pos;
  const end = from + len;
  if (len > SHARED_MAX_BYTES || end > r.len) {
    r.pos = start;
    return sub(r, decode, depth);
  }
  const buf = r.buf as Buffer;
  const slot = sampledHash(buf, from, end) & (SHARED_SLOTS - 1);
  // Two ways: the slot and its neighbour, so two messages sharing a slot do not evict each other.
  const hit = same(table[slot], buf, from, end, depth)
    ? table[slot]!
    : same(table[slot ^ 1], buf, from, end, depth)
      ? table[slot ^ 1]!
      : undefined;
  if (hit !== undefined) {
    r.pos = end;
    return hit.value;
  }
  r.pos = start;
  const value = sub(r, decode, depth);
  // The newest goes first; what was first moves to the second way.
  if (table[slot] !== undefined) table[slot ^ 1] = table[slot];
  table[slot] = { bytes: Buffer.from(buf.subarray(from, end)), depth, value };
  return value;
}

function same(e: SharedEntry | undefined, buf: Buffer, from: number, end: number, depth: number) {
  return (
    e !== undefined &&
    e.depth === depth &&
    e.bytes.length === end - from &&
    e.bytes.compare(buf, from, end) === 0
  );
}

/**
 * A hash of the length, the first and last 24 bytes and every 7th byte between: what tells
 * endpoints apart (their ID and identity lead, names and workloads end them) at a quarter of the
 * cost of hashing every byte. Whatever it misses, the comparison of all bytes catches.
 */
function sampledHash(buf: Buffer, from: number, end: number): number {
  const len = end - from;
  let h = 0x811c9dc5 ^ len;
  if (len <= 64) {
    for (let i = from; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    return h >>> 0;
  }
  for (let i = from; i < from + 24; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  for (let i = from + 24; i < end - 24; i += 7) h = Math.imul(h ^ buf[i]!, 0x01000193);
  for (let i = end - 24; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h >>> 0;
}
