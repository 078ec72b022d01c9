import { readFileSync } from 'node:fs';
import { Buffer } from 'node:buffer';
import { isDeepStrictEqual } from 'node:util';
import protobufjs from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { LabGenerator } from '../demo/generator.ts';
import { threeTier } from '../demo/scenarios/three-tier.ts';
import { starwars } from '../demo/scenarios/starwars.ts';
import { DEFAULT_FIELD_MASK } from './client.ts';
import { compileFieldMask } from './field-mask.ts';
import { decodeFrame } from './flow-decoder.ts';
import { parseLine, validateFlow } from './json-codec.ts';
import { observerService } from './proto.ts';
import { timestampToNs } from './time.ts';
import type { WireTimestamp } from './time.ts';
import type { FlowsResponse, HubbleFlow } from './types.ts';
import { responseFromWire, responseToWire } from './wire.ts';

// flow-decoder replaces proto-loader + wire.ts + validateFlow on the client's hot path; this holds
// it to exactly what that general path produced, frame by frame, corrupt frames included.

const getFlows = observerService().service['GetFlows'];

type Outcome = { res: FlowsResponse; timeNs: bigint | undefined } | 'rejected';

/** The client's previous path: proto-loader's decoder, wire.ts, then the flow validation. */
function generalPath(buf: Buffer): Outcome {
  try {
    const msg = getFlows.responseDeserialize(buf) as Record<string, unknown>;
    const wireTime = (msg['flow'] as { time?: WireTimestamp } | undefined)?.time;
    const timeNs = wireTime ? timestampToNs(wireTime) : undefined;
    const res = responseFromWire(msg);
    if (res.flow) validateFlow(res.flow);
    return { res, timeNs };
  } catch {
    return 'rejected';
  }
}

function fastPath(buf: Buffer): Outcome {
  try {
    const { res, timeNs, wire } = decodeFrame(buf);
    // The frame carries the bytes it was decoded from, for history to keep.
    expect(wire).toBe(buf);
    return { res, timeNs };
  } catch {
    return 'rejected';
  }
}

// Key order matters too: exports and recordings print keys in the order they sit.
const text = (o: Outcome) =>
  JSON.stringify(o, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));

function expectSame(buf: Buffer): Outcome {
  const want = generalPath(buf);
  const got = fastPath(buf);
  expect(got).toStrictEqual(want);
  expect(text(got)).toBe(text(want));
  return want;
}

const encode = (res: FlowsResponse) => getFlows.responseSerialize(responseToWire(res));

const FIXTURE = new URL('../../../tests/fixtures/hubble/real-lines.jsonl', import.meta.url);
const realFrames = readFileSync(FIXTURE, 'utf8')
  .split('\n')
  .map((l) => parseLine(l))
  .filter((r): r is FlowsResponse => r !== undefined)
  .map(encode);

function demoFrames(n: number, masked: boolean): Buffer[] {
  const S = 1_000_000_000n;
  const start = 1_795_341_600n * S;
  const mask = compileFieldMask<HubbleFlow>(masked ? DEFAULT_FIELD_MASK : []);
  const out: Buffer[] = [];
  for (const lab of [threeTier, starwars]) {
    const gen = new LabGenerator(lab, 7, start);
    for (let t = 1n; out.length < n; t++) {
      for (const r of gen.generate(start + t * 60n * S)) {
        out.push(encode({ flow: mask(r.flow), node_name: r.nodeName, time: r.flow.time }));
      }
    }
    n *= 2;
  }
  return out;
}

/** Deterministic corruption: truncations, byte and bit flips, appended and inserted bytes. */
function mutants(frames: Buffer[], perFrame: number): Buffer[] {
  let seed = 42;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const at = (b: Buffer) => Math.floor(rnd() * b.length);
  const out: Buffer[] = [];
  for (const frame of frames) {
    for (let k = 0; k < perFrame; k++) {
      const c = Buffer.from(frame);
      switch (k % 5) {
        case 0:
          out.push(c.subarray(0, at(c)));
          break;
        case 1:
          for (let j = 0; j < 1 + rnd() * 3; j++) c[at(c)] = Math.floor(rnd() * 256);
          out.push(c);
          break;
        case 2:
          c[at(c)]! ^= 1 << Math.floor(rnd() * 8);
          out.push(c);
          break;
        case 3: {
          const p = at(c);
          out.push(Buffer.concat([c, c.subarray(p, p + Math.floor(rnd() * 40))]));
          break;
        }
        default: {
          const p = at(c);
          const junk = Buffer.from([Math.floor(rnd() * 256), Math.floor(rnd() * 256)]);
          out.push(Buffer.concat([c.subarray(0, p), junk, c.subarray(p)]));
        }
      }
    }
  }
  return out;
}

/** Raw frames for the cases encoders do not produce. */
const w = () => protobufjs.Writer.create();
const tag = (field: number, wireType: number) => (field << 3) | wireType;
const bytes = (field: number, inner: Uint8Array) => w().uint32(tag(field, 2)).bytes(inner);
const flowFrame = (flow: Uint8Array) => Buffer.from(bytes(1, flow).finish());
const time = (seconds: number, nanos: number) =>
  w().uint32(tag(1, 0)).int64(seconds).uint32(tag(2, 0)).int32(nanos).finish();

describe('flow-decoder gives what proto-loader and wire.ts gave', () => {
  it('for every real hubble line', () => {
    expect(realFrames.length).toBeGreaterThanOrEqual(7);
    for (const f of realFrames) expect(expectSame(f)).not.toBe('rejected');
  });

  it('for demo flows, whole and under the client field mask', () => {
    for (const masked of [false, true]) {
      for (const f of demoFrames(600, masked)) expect(expectSame(f)).not.toBe('rejected');
    }
  });

  it('for truncated and corrupted frames, including which ones fail', () => {
    const frames = [...realFrames, ...demoFrames(150, true)];
    let rejected = 0;
    const differing: string[] = [];
    for (const m of mutants(frames, 20)) {
      const want = generalPath(m);
      const got = fastPath(m);
      if (!isDeepStrictEqual(got, want) || text(got) !== text(want)) {
        differing.push(m.toString('hex'));
      }
      if (want === 'rejected') rejected += 1;
    }
    expect(differing).toEqual([]);
    // Both outcomes must occur, or the corruption is not testing anything.
    expect(rejected).toBeGreaterThan(100);
  });

  const unknownFields = () =>
    w()
      .uint32(tag(900, 0))
      .uint32(5)
      .uint32(tag(901, 1))
      .fixed64(1)
      .uint32(tag(902, 2))
      .bytes(Buffer.from('xy'))
      .uint32(tag(903, 5))
      .fixed32(3)
      .uint32(tag(904, 3))
      .uint32(tag(904, 4));

  it.each<[string, () => protobufjs.Writer]>([
    ['unknown enum numbers', () => w().uint32(tag(2, 0)).int32(99).uint32(tag(25, 0)).int32(7)],
    ['fields out of number order', () => w().uint32(tag(11, 2)).string('n').uint32(16).int32(1)],
    ['a field given twice', () => w().uint32(tag(2, 0)).int32(1).uint32(tag(2, 0)).int32(2)],
    ['unknown fields of every wire type', unknownFields],
    ['an empty reply wrapper', () => w().uint32(tag(26, 2)).uint32(0)],
    ['an Any extension', () => bytes(150000, w().uint32(tag(1, 2)).string('t.x/y').finish())],
    ['a flow time before 1970', () => bytes(1, time(-5, -7))],
    ['a flow time past year 9999', () => bytes(1, time(253_402_300_800, 0))],
    ['a huge flow time', () => bytes(1, time(9e15, 0))],
    ['an invalid wire type', () => w().uint32(tag(3, 7))],
  ])('for a flow with %s', (_name, flow) => {
    expectSame(flowFrame(flow().finish()));
  });

  it('for loss, node status and envelope-only frames', () => {
    const lost = w().uint32(tag(1, 0)).int32(3).uint32(tag(2, 0)).uint64(12).finish();
    const emptyCpu = w().uint32(tag(1, 0)).int32(9).uint32(tag(3, 2)).uint32(0).finish();
    const status = w().uint32(tag(1, 0)).int32(2).uint32(tag(2, 2)).string('a/b').finish();
    for (const frame of [
      bytes(3, lost),
      bytes(3, emptyCpu),
      bytes(2, status),
      w().uint32(tag(1000, 2)).string('node').uint32(tag(1001, 2)).bytes(time(1, 5)),
      w(),
    ]) {
      expect(expectSame(Buffer.from(frame.finish()))).not.toBe('rejected');
    }
  });

  it('for flow times at the edges: nanos out of range, seconds past 32 bits, before 1970', () => {
    const cases: [number, number][] = [
      [0, 0],
      [1_700_000_000, 999_999_999],
      [1_700_000_000, 1_000_000_000],
      [1_700_000_000, -1],
      [2 ** 32 - 1, 5],
      [2 ** 32, 5],
      [-1, 500],
      [253_402_300_799, 999_999_999],
      [253_402_300_800, 0],
    ];
    for (const [s, n] of cases) {
      const frame = flowFrame(bytes(1, time(s, n)).finish());
      // Each case twice: the second meets the seconds already worked out.
      expectSame(frame);
      expectSame(frame);
    }
  });

  it('keeps the flow time of the last flow field when a frame has two', () => {
    const first = bytes(1, time(1_700_000_000, 1)).finish();
    const frame = Buffer.concat([flowFrame(first), flowFrame(new Uint8Array())]);
    expect(expectSame(frame)).toMatchObject({ timeNs: undefined });
  });

  it('hands out one object per recurring endpoint and one string per recurring label', () => {
    const [a, b] = demoFrames(2, true).map((f) => decodeFrame(f).res.flow!);
    expect(a!.source).toStrictEqual(b!.source);
    expect(a!.source).toBe(b!.source);
    expect(a!.node_name).toBe(b!.node_name);
  });

  it('tells apart recurring endpoints that differ only where their hash does not look', () => {
    // Long labels that differ in one middle character: the sampled hash may put them in one
    // slot, and the comparison of every byte must still give each flow its own endpoint.
    const endpoint = (k: number) => ({
      ID: 7,
      identity: 1234,
      namespace: 'lab',
      labels: [`k8s:app=${'x'.repeat(40)}${k}${'y'.repeat(40)}`],
      pod_name: 'web-0',
    });
    const frame = (k: number) =>
      getFlows.responseSerialize(
        responseToWire({
          flow: { time: '2026-12-02T10:00:00Z', source: endpoint(k), destination: endpoint(k) },
        }),
      );
    const frames = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(frame);
    for (let round = 0; round < 3; round++) {
      frames.forEach((f, k) => {
        expect(decodeFrame(f).res.flow!.source!.labels).toEqual([
          `k8s:app=${'x'.repeat(40)}${k}${'y'.repeat(40)}`,
        ]);
      });
    }
  });
});
