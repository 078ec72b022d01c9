// GetFlowsResponse bytes → Hubble's JSON form in one pass. The general path (protobufjs decode,
// then toObject, then wire.ts) builds every message twice and converts timestamps through Long,
// strings and bigint; at Relay rates that was most of the client's time. This reads the wire
// format straight into the shape wire.ts would have produced: proto field names, enum names
// (unknown numbers stay numbers), 64-bit integers as strings, Timestamp as RFC3339 text,
// wrappers unwrapped, unknown fields skipped.
//
// It must stay indistinguishable from the general path, down to key order (exports print keys
// as they sit in the object) and to which corrupt frames fail: primitives are read with
// protobufjs' own Reader, sub-messages are bounded and must end exactly where their length says,
// as protobufjs' generated decoders do. flow-decoder.test.ts compares both paths frame by frame.
import protobufjs from 'protobufjs';
import type { Reader } from 'protobufjs';
import { Buffer } from 'node:buffer';
import type { FlowRecord, FlowsResponse } from './types.ts';
import { formatTimeNs } from './time.ts';
import { Kind, RESPONSE } from './flow-schema.ts';
import {
  enter,
  internedString,
  leave,
  SHARED,
  SHARED_SLOTS,
  sharedSub,
  sub,
} from './decode-reuse.ts';
import type { DecodeFn, SharedEntry } from './decode-reuse.ts';
import type { Field, MessageType } from './flow-schema.ts';

type Obj = Record<string, unknown>;

const NS_PER_S = 1_000_000_000n;
// The seconds RFC3339 can write (years 0000 to 9999); a flow time outside them used to become
// text that the flow validation then rejected, so such a flow is rejected here.
const MIN_SECONDS = -62_167_219_200n;
const MAX_SECONDS = 253_402_300_799n;

/** One decoded frame: the response, and the flow's time in nanoseconds when it had one. */
export interface DecodedFrame {
  res: FlowsResponse;
  timeNs: bigint | undefined;
  /** The bytes decoded (a view; copy them to keep them past the frame's handling). */
  wire: Buffer;
}

export class FrameDecodeError extends Error {
  override readonly name = 'FrameDecodeError';
}

/** The flow time of the frame being decoded; a frame is decoded start to end without yielding. */
let flowTimeNs: bigint | undefined;

function timestampNs(r: Reader, depth: number): bigint {
  let seconds = 0n;
  let nanos = 0;
  while (r.pos < r.len) {
    const t = r.uint32();
    const num = t >>> 3;
    if (num === 1) {
      const long = r.int64();
      // Every real flow time fits in 32 bits; the rest goes the long way, exactly.
      seconds = long.high === 0 ? BigInt(long.low >>> 0) : BigInt(long.toString());
    } else if (num === 2) nanos = r.int32();
    else r.skipType(t & 7, depth);
  }
  return seconds * NS_PER_S + BigInt(nanos);
}

function ordered(o: Obj, keys: readonly string[]): Obj {
  const out: Obj = {};
  for (const k of keys) if (k in o) out[k] = o[k];
  return out;
}

function time(r: Reader, depth: number): bigint {
  const outer = enter(r);
  const ns = timestampNs(r, depth);
  leave(r, outer);
  return ns;
}

function flowTime(r: Reader, depth: number): string {
  const ns = time(r, depth);
  const seconds = ns >= 0n ? ns / NS_PER_S : (ns - NS_PER_S + 1n) / NS_PER_S;
  if (seconds < MIN_SECONDS || seconds > MAX_SECONDS) {
    throw new FrameDecodeError('flow.time: expected an RFC3339 timestamp');
  }
  flowTimeNs = ns;
  return formatTimeNs(ns);
}

/** An Any we cannot resolve keeps its type and payload, the way protojson would. */
function any(o: Obj): Obj {
  const value = o['value'];
  return {
    '@type': o['type_url'],
    value: Buffer.isBuffer(value) ? value.toString('base64') : undefined,
  };
}

const specials = {
  time: (r: Reader, depth: number) => formatTimeNs(time(r, depth)),
  flowTime,
  any,
  // A second flow field replaces the first, its time included.
  newFlow: () => {
    flowTimeNs = undefined;
  },
};

/** The expression that decodes a sub-message field, sharing it when its type recurs. */
function decodeSub(f: Field, j: number): string {
  return SHARED.has(f.type!.name)
    ? `shared(r, D[${j}], depth + 1, T[${j}])`
    : `sub(r, D[${j}], depth + 1)`;
}

/** The statement that reads one field into `o`; `j` indexes the field's type or enum table. */
function statement(f: Field, key: string, j: number): string {
  const store = (v: string) => `o[${key}] = ${v};`;
  const push = (v: string) =>
    `const v = ${v}; const a = o[${key}]; if (a) a.push(v); else o[${key}] = [v];`;
  switch (f.kind) {
    case Kind.String:
      return store('intern(r)');
    case Kind.UniqueString:
      return store('r.string()');
    case Kind.Uint32:
      return store('r.uint32()');
    case Kind.Int32:
      return store('r.int32()');
    case Kind.Bool:
      return store('r.bool()');
    case Kind.Uint64:
      return store('r.uint64().toString()');
    case Kind.Int64:
      return store('r.int64().toString()');
    case Kind.Enum:
      return `const v = r.int32(); const n = E[${j}][v]; ${store('n === undefined ? v : n')}`;
    case Kind.Bytes:
      return store('r.bytes()');
    case Kind.Strings:
      return push('intern(r)');
    case Kind.Message:
      return store(`${decodeSub(f, j)}`);
    case Kind.Messages:
      return push(`${decodeSub(f, j)}`);
    case Kind.Time:
      return store('S.time(r, depth + 1)');
    case Kind.FlowTime:
      return store('S.flowTime(r, depth + 1)');
    case Kind.BoolValue:
      return store(`sub(r, D[${j}], depth + 1)['value'] === true`);
    case Kind.Int32Value:
      // Set even when the wrapper is empty: the general path leaves the key, undefined.
      return store(`sub(r, D[${j}], depth + 1)['value']`);
    case Kind.Any:
      return store(`S.any(sub(r, D[${j}], depth + 1))`);
    case Kind.Flow:
      return `S.newFlow(); ${store(`sub(r, D[${j}], depth + 1)`)}`;
  }
}

/**
 * One decoder per message type, generated from the field tables the way protobufjs generates
 * its own: a switch on the field number with the property names written out, so each store is
 * a plain property store instead of a lookup by a name held in a variable (which V8 handles
 * far slower once it has seen many names at one place).
 */
function compileAll(root: MessageType): DecodeFn[] {
  const types: MessageType[] = [];
  const index = new Map<MessageType, number>();
  const visit = (t: MessageType) => {
    if (index.has(t)) return;
    index.set(t, types.length);
    types.push(t);
    for (const f of [...t.dense, ...t.sparse.values()]) if (f?.type) visit(f.type);
  };
  visit(root);
  const enums: (string | undefined)[][] = [];
  const sources = types.map((t, ti) => {
    const cases: string[] = [];
    const fields: [number, Field][] = [];
    t.dense.forEach((f, n) => f && fields.push([n, f]));
    for (const [n, f] of t.sparse) fields.push([n, f]);
    for (const [n, f] of fields) {
      let j = 0;
      if (f.names) j = enums.push(f.names) - 1;
      else if (f.type) j = index.get(f.type)!;
      const body = statement(f, JSON.stringify(f.name), j);
      // Keys go in field-number order, as toObject writes them, whatever order the wire used.
      cases.push(`case ${n}: { if (${n} < last) inOrder = false; last = ${n}; ${body} break; }`);
    }
    return `function (r, depth) {
  const o = {}; let last = 0; let inOrder = true;
  while (r.pos < r.len) {
    const t = r.uint32();
    switch (t >>> 3) {
      ${cases.join('\n      ')}
      default: r.skipType(t & 7, depth);
    }
  }
  return inOrder ? o : ordered(o, K[${ti}]);
}`;
  });
  const D: DecodeFn[] = [];
  // The source is built from protos/ alone, never from input.
  const factory = new Function(
    'intern',
    'sub',
    'ordered',
    'D',
    'E',
    'K',
    'S',
    'shared',
    'T',
    `return [${sources.join(',\n')}];`,
  ) as (...args: unknown[]) => DecodeFn[];
  const tables = types.map(() => new Array<SharedEntry | undefined>(SHARED_SLOTS));
  const keys = types.map((t) => t.keys);
  D.push(...factory(internedString, sub, ordered, D, enums, keys, specials, sharedSub, tables));
  return D;
}

const decodeResponse = compileAll(RESPONSE)[0]!;

/** Decodes one GetFlowsResponse frame; throws on bytes the general path would reject too. */
export function decodeFrame(buf: Buffer): DecodedFrame {
  flowTimeNs = undefined;
  const r = protobufjs.Reader.create(buf);
  const res = decodeResponse(r, 0) as FlowsResponse;
  const timeNs = res.flow?.time !== undefined ? flowTimeNs : undefined;
  return { res, timeNs, wire: buf };
}

/** The flow record a decoded frame carries, if it carries a flow. */
export function recordOf(d: DecodedFrame): FlowRecord | undefined {
  const flow = d.res.flow;
  if (!flow) return undefined;
  return { flow, nodeName: d.res.node_name ?? flow.node_name ?? '', timeNs: d.timeNs ?? 0n };
}
