// A fixed-rate Hubble load source for the benchmarks, run as its own process:
//   node --import tsx bench/load-server.ts --rate 20000 [--max-seconds 900]
// It speaks the Observer API (GetFlows follow, ServerStatus, GetNodes) and sends the three-tier
// lab's flows, encoded once per field mask, at exactly `rate` flows/s on a fixed schedule. Each
// flow's time is its scheduled send time, added to the pre-encoded frame as fields inside the
// encoded flow, so a client's delay is receive − time and includes any lag of this source
// behind its schedule. Flowlens' own hubble-server encodes
// every flow on the fly and tops out below this rate, which is why this exists.
//
// Like Relay, it does not queue without bound: a follower more than two seconds behind the
// schedule skips ahead and is told with lost_events. Progress goes to stdout as JSON lines
// (`{"listening":"127.0.0.1:N"}`, then `{"sent":N,"lost":N,"ms":N}` each second); it exits
// when stdin closes (the parent went away) or after --max-seconds.
import * as grpc from '@grpc/grpc-js';
import { threeTier } from '../backend/src/demo/scenarios/three-tier.ts';
import { LabGenerator } from '../backend/src/demo/generator.ts';
import { compileFieldMask } from '../backend/src/hubble/field-mask.ts';
import { observerService } from '../backend/src/hubble/proto.ts';
import { responseToWire } from '../backend/src/hubble/wire.ts';
import type { FlowRecord, HubbleFlow } from '../backend/src/hubble/types.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!(v > 0)) throw new Error(`--${name} must be a positive number`);
  return v;
}

const RATE = arg('rate', 20_000);
const MAX_SECONDS = arg('max-seconds', 900);
const BEHIND_LIMIT = RATE * 2;

const S = 1_000_000_000n;
const t0 = 1_795_341_600n * S;
const templates: FlowRecord[] = new LabGenerator(threeTier, 7, t0, 50).generate(t0 + 10n * S);

const service = observerService().service;
const getFlows = service['GetFlows']!;
const serialize = getFlows.responseSerialize;

function varint(n: bigint | number): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  while (v > 127n) {
    out.push(Number(v & 127n) | 128);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

const lenField = (tag: number[], body: number[]) => [...tag, ...varint(body.length), ...body];

/**
 * A response frame split so that fields can go inside its `flow` field in field-number order,
 * as Relay (Go's protobuf) writes them and as protobufjs wrote the template: Flow.time (1)
 * before `below` (the flow's fields numbered under 34), Flow.uuid (34) between it and `above`.
 * flowlens' decoder takes any order, but puts fields that arrive out of order back in order
 * at a cost a real Relay never makes it pay.
 */
interface Template {
  below: Buffer;
  above: Buffer;
  rest: Buffer;
}

function readVarint(buf: Buffer, at: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  let i = at;
  for (;;) {
    const b = buf[i++]!;
    value += (b & 127) * 2 ** shift;
    if (b < 128) return [value, i];
    shift += 7;
  }
}

function split(buf: Buffer): Template {
  // GetFlowsResponse.flow (field 1) comes first: tag 0x0a, a varint length, then the flow.
  if (buf[0] !== 0x0a) throw new Error('expected the flow field first');
  const [len, from] = readVarint(buf, 1);
  const flow = buf.subarray(from, from + len);
  // The first top-level field of the flow numbered above 34.
  let i = 0;
  while (i < flow.length) {
    const [tag, next] = readVarint(flow, i);
    if (tag >>> 3 > 34) break;
    const wireType = tag & 7;
    if (wireType === 0) i = readVarint(flow, next)[1];
    else if (wireType === 1) i = next + 8;
    else if (wireType === 5) i = next + 4;
    else if (wireType === 2) {
      const [n, body] = readVarint(flow, next);
      i = body + n;
    } else throw new Error(`unexpected wire type ${wireType}`);
  }
  return { below: flow.subarray(0, i), above: flow.subarray(i), rest: buf.subarray(from + len) };
}

/**
 * One frame: Flow.time (1), the template's fields below 34, Flow.uuid (34), the fields above,
 * all inside the flow field; then the rest, then GetFlowsResponse.time (1001).
 */
function frame(t: Template, timeNs: bigint, seq: number): Buffer {
  const ts = [0x08, ...varint(timeNs / S), 0x10, ...varint(timeNs % S)];
  const time = Buffer.from(lenField([0x0a], ts));
  const uuid = Buffer.from(lenField(varint((34 << 3) | 2), [...Buffer.from(`bench-${seq}`)]));
  const flowLength = time.length + t.below.length + uuid.length + t.above.length;
  const head = Buffer.from([0x0a, ...varint(flowLength)]);
  const tail = Buffer.from(lenField(varint((1001 << 3) | 2), ts));
  return Buffer.concat([head, time, t.below, uuid, t.above, t.rest, tail]);
}

function encodeTemplates(paths: string[] | undefined): Template[] {
  const mask = compileFieldMask<HubbleFlow>(paths);
  return templates.map((r) => {
    const { time: _t, uuid: _u, ...rest } = mask(r.flow);
    const wire = responseToWire({ flow: rest as HubbleFlow, node_name: r.nodeName });
    return split(serialize(wire) as Buffer);
  });
}

let totalSent = 0;
let totalLost = 0;

type Call = grpc.ServerWritableStream<
  { field_mask?: { paths?: string[] }; experimental?: { field_mask?: { paths?: string[] } } },
  Buffer | Record<string, unknown>
>;

async function follow(call: Call): Promise<void> {
  call.sendMetadata(new grpc.Metadata());
  const req = call.request;
  const paths = req.field_mask?.paths?.length
    ? req.field_mask.paths
    : req.experimental?.field_mask?.paths;
  const frames = encodeTemplates(paths);
  let open = true;
  call.on('cancelled', () => (open = false));
  call.on('close', () => (open = false));
  const startNs = process.hrtime.bigint();
  const wallStartNs = BigInt(Date.now()) * 1_000_000n;
  let seq = 0;
  const stepNs = S / BigInt(RATE);
  while (open) {
    const elapsed = process.hrtime.bigint() - startNs;
    const due = Number(elapsed / stepNs);
    if (due - seq > BEHIND_LIMIT) {
      const skip = due - seq - RATE;
      seq += skip;
      totalLost += skip;
      call.write({
        lost_events: { source: 'OBSERVER_EVENTS_QUEUE', num_events_lost: String(skip) },
      });
    }
    let blocked = false;
    while (seq < due && open) {
      const t = frames[seq % frames.length]!;
      const ok = call.write(frame(t, wallStartNs + BigInt(seq) * stepNs, seq));
      seq += 1;
      totalSent += 1;
      if (!ok) {
        blocked = true;
        break;
      }
    }
    if (blocked) await new Promise<void>((r) => call.once('drain', r));
    else await new Promise<void>((r) => setTimeout(r, 1));
  }
}

const server = new grpc.Server();
server.addService(
  {
    ...service,
    GetFlows: {
      ...getFlows,
      responseSerialize: (v: unknown) => (Buffer.isBuffer(v) ? v : getFlows.responseSerialize(v)),
    },
  },
  {
    GetFlows: (call: Call) => {
      follow(call).catch((err: unknown) => call.destroy(err as Error));
    },
    ServerStatus: (_c: unknown, cb: grpc.sendUnaryData<unknown>) =>
      cb(null, {
        num_flows: '0',
        max_flows: '0',
        seen_flows: String(totalSent),
        version: 'flowlens-bench',
      }),
    GetNodes: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, { nodes: [] }),
  },
);
const port = await new Promise<number>((resolve, reject) =>
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
    e ? reject(e) : resolve(p),
  ),
);
const t = Date.now();
console.log(JSON.stringify({ listening: `127.0.0.1:${port}`, rate: RATE }));
setInterval(
  () => console.log(JSON.stringify({ sent: totalSent, lost: totalLost, ms: Date.now() - t })),
  1000,
);
const quit = () => {
  server.forceShutdown();
  process.exit(0);
};
setTimeout(quit, MAX_SECONDS * 1000);
process.stdin.on('end', quit);
process.stdin.on('close', quit);
process.stdin.resume();
