import { describe, expect, it } from 'vitest';
import type { EnrichedFlow } from '../enrich/types.ts';
import type { FlowRecord } from '../hubble/types.ts';
import { LabGenerator } from '../demo/generator.ts';
import { loadLab } from '../demo/lab-model.ts';
import { threeTier } from '../demo/scenarios/three-tier.ts';
import { Enricher } from '../enrich/enrich.ts';
import { DEFAULT_FIELD_MASK } from '../hubble/client.ts';
import { compileFieldMask } from '../hubble/field-mask.ts';
import { decodeFrame, recordOf } from '../hubble/flow-decoder.ts';
import { formatLine, responseFromRecord } from '../hubble/json-codec.ts';
import { observerService } from '../hubble/proto.ts';
import type { HubbleFlow } from '../hubble/types.ts';
import { responseToWire } from '../hubble/wire.ts';
import { ClusterModel } from '../k8s/cluster-model.ts';
import { FlowStore } from './flow-store.ts';
import type { FlowQuery, StoredFlow } from './flow-store.ts';

const S = 1_000_000_000n;
const T0 = 1_795_341_600n * S;

function entry(i: number, over: Partial<EnrichedFlow> = {}): [EnrichedFlow, FlowRecord] {
  const timeNs = T0 + BigInt(i) * S;
  const flow: EnrichedFlow = {
    id: `f${i}`,
    time: '',
    timeNs: timeNs.toString(),
    node: 'n',
    verdict: i % 3 === 0 ? 'DROPPED' : 'FORWARDED',
    protocol: 'TCP',
    source: {
      ip: `10.0.0.${i % 250}`,
      kind: 'pod',
      namespace: i % 2 ? 'web' : 'api',
      pod: `p-${i}`,
      labels: [],
    },
    destination: {
      ip: '10.0.1.1',
      kind: 'pod',
      namespace: 'data',
      pod: 'db-0',
      labels: ['app=db'],
    },
    policy: { allowedBy: [], deniedBy: [] },
    ...over,
  };
  return [flow, { flow: { uuid: `f${i}` }, nodeName: 'n', timeNs }];
}

function fill(store: FlowStore, n: number): void {
  for (let i = 0; i < n; i++) store.add(...entry(i));
}

describe('FlowStore', () => {
  it('keeps the newest flows within the count limit and counts what it evicts', () => {
    const store = new FlowStore({ maxFlows: 100 });
    fill(store, 250);
    expect(store.stats).toMatchObject({ flows: 100, evicted: 150 });
    const all = store.query();
    expect(all[0]!.flow.id).toBe('f150');
    expect(all.at(-1)!.flow.id).toBe('f249');
  });

  it('keeps the bytes within the byte limit under a flood', () => {
    const store = new FlowStore({ maxFlows: 1_000_000, maxBytes: 2_000_000 });
    fill(store, 50_000);
    expect(store.stats.bytes).toBeLessThanOrEqual(2_000_000);
    expect(store.stats.flows).toBeGreaterThan(100);
    expect(store.stats.flows + store.stats.evicted).toBe(50_000);
  });

  it('answers the newest matches oldest first, with filters', () => {
    const store = new FlowStore();
    fill(store, 100);
    const drops = store.query({ verdict: 'DROPPED', limit: 3 });
    expect(drops.map((e) => e.flow.id)).toEqual(['f93', 'f96', 'f99']);
    expect(store.query({ namespace: 'web', limit: 2 }).map((e) => e.flow.id)).toEqual([
      'f97',
      'f99',
    ]);
    expect(store.query({ pod: 'api/p-9' }).map((e) => e.flow.id)).toEqual([
      'f90',
      'f92',
      'f94',
      'f96',
      'f98',
    ]);
    expect(store.query({ pod: 'db-0', limit: 1 }).map((e) => e.flow.id)).toEqual(['f99']);
    expect(store.query({ text: 'APP=DB', limit: 1 })).toHaveLength(1);
    // What a filter requires, judged on the columns first: either side in one of them.
    expect(store.query({ namespaces: ['web', 'nope'], limit: 2 }).map((e) => e.flow.id)).toEqual([
      'f97',
      'f99',
    ]);
    expect(store.query({ namespaces: ['data'] })).toHaveLength(100);
    const seen: string[] = [];
    const from = store.seqAtTime(T0 + 95n * S);
    store.scanSlice(from, Infinity, 100, (f) => seen.push(f.id), ['api']);
    expect(seen).toEqual(['f96', 'f98']);
  });

  it('answers a time window, for time travel', () => {
    const store = new FlowStore();
    fill(store, 100);
    const w = store.query({ sinceNs: T0 + 10n * S, untilNs: T0 + 20n * S });
    expect(w.map((e) => e.flow.id)).toEqual(Array.from({ length: 10 }, (_, i) => `f${10 + i}`));
    expect([...store.entries({ sinceNs: T0 + 98n * S })].map((e) => e.flow.id)).toEqual([
      'f98',
      'f99',
    ]);
  });

  it('keeps model changes on the same timeline, bounded', () => {
    const store = new FlowStore({ maxTimeline: 2 });
    for (let i = 0; i < 3; i++) {
      store.recordChange({
        timeMs: i,
        revision: i + 1,
        type: 'added',
        kind: 'NetworkPolicy',
        name: `np${i}`,
      });
    }
    expect(store.timeline().map((e) => e.name)).toEqual(['np1', 'np2']);
    expect(store.timeline(2).map((e) => e.name)).toEqual(['np2']);
  });

  it('rejects bad limits with exact messages', () => {
    expect(() => new FlowStore({ maxFlows: 0 })).toThrow(
      'maxFlows must be a positive integer, got 0',
    );
    expect(() => new FlowStore({ maxBytes: -1 })).toThrow('maxBytes must be positive, got -1');
  });
});

describe('FlowStore sequence numbers', () => {
  it('numbers entries and answers what came after a sequence number', () => {
    const store = new FlowStore({ maxFlows: 10 });
    fill(store, 25);
    expect(store.oldestSeq).toBe(16);
    expect(store.lastSeq).toBe(25);
    expect(store.query({ afterSeq: 22 }).map((e) => e.seq)).toEqual([23, 24, 25]);
    expect(store.query({ afterSeq: 3 }).map((e) => e.seq)[0]).toBe(16);
    expect(store.query({ afterSeq: 25 })).toEqual([]);
    expect(store.byId('f20')?.seq).toBe(21);
    expect(store.query({ predicate: (f) => f.id === 'f24' }).map((e) => e.seq)).toEqual([25]);
  });

  it('finds entries by sequence number across the gap a flow too large to keep leaves', () => {
    const store = new FlowStore({ maxBytes: 100_000 });
    fill(store, 5);
    const [big, rec] = entry(5, {
      source: { ...entry(5)[0].source, labels: ['x'.repeat(200_000)] },
    });
    expect(store.add(big, rec).seq).toBe(6); // streamed, not kept: seq 6 is missing from history
    for (let i = 6; i < 10; i++) store.add(...entry(i));
    expect(store.stats.tooLarge).toBe(1);
    expect(store.query({ afterSeq: 5 }).map((e) => e.seq)).toEqual([7, 8, 9, 10]);
    expect(store.query({ afterSeq: 7 }).map((e) => e.flow.id)).toEqual(['f7', 'f8', 'f9']);
  });

  it('makes the entries a query answers one at a time, the same ones in the same order', () => {
    const store = new FlowStore({ maxFlows: 500 });
    fill(store, 800);
    const queries: FlowQuery[] = [
      {},
      { limit: 7 },
      { verdict: 'DROPPED', limit: 30 },
      { namespace: 'web', sinceNs: T0 + 400n * S, untilNs: T0 + 700n * S },
      { afterSeq: 780, text: 'p-79' },
      { predicate: (f) => f.source.pod === 'p-555' },
      { sinceNs: T0 + 790n * S },
    ];
    for (const [n, q] of queries.entries()) {
      const lazy = [...store.entries(q)].map((e) => [e.seq, e.flow.id]);
      expect(lazy, `query ${n}`).toEqual(store.query(q).map((e) => [e.seq, e.flow.id]));
      expect(lazy.length, `query ${n}`).toBeGreaterThan(0);
    }
  });

  it('reads lazily: leaves out flows stored after it began, skips and counts those evicted first', () => {
    const store = new FlowStore({ maxFlows: 100 });
    fill(store, 100); // seq 1..100
    const read = store.entries();
    const first = [read.next().value!.seq, read.next().value!.seq];
    for (let i = 100; i < 150; i++) store.add(...entry(i)); // 1..50 evicted, 101..150 new
    const rest = [...read].map((e) => e.seq);
    expect(first).toEqual([1, 2]);
    expect(rest).toEqual(Array.from({ length: 50 }, (_, i) => 51 + i));
    expect(store.stats.evictedUnread).toBe(48);
  });

  it('scans in slices that go on by sequence number while flows arrive and are evicted', () => {
    const store = new FlowStore({ maxFlows: 10 });
    fill(store, 10); // seq 1..10
    const seen: number[] = [];
    const add = (f: EnrichedFlow, seq: number) => seen.push(seq);
    let next = store.scanSlice(0, Infinity, 4, add);
    expect([next, seen]).toEqual([5, [1, 2, 3, 4]]);
    for (let i = 10; i < 16; i++) store.add(...entry(i)); // seq 11..16; 1..6 evicted
    next = store.scanSlice(next, Infinity, 4, add);
    expect([next, seen.slice(4)]).toEqual([11, [7, 8, 9, 10]]);
    next = store.scanSlice(next, 13, 100, add);
    expect([next, seen.slice(8)]).toEqual([14, [11, 12, 13]]);
    next = store.scanSlice(next, Infinity, 100, add);
    expect([next, seen.slice(11)]).toEqual([17, [14, 15, 16]]);
    expect(store.scanSlice(next, Infinity, 100, add)).toBe(17);
    expect(store.seqAtTime(T0 + 12n * S)).toBe(13);
    expect(store.seqAtTime(T0 + 99n * S)).toBe(17);
    expect(new FlowStore().scanSlice(0, Infinity, 10, add)).toBe(1);
  });
});

describe('FlowStore columns', () => {
  const getFlows = observerService().service['GetFlows'];
  const lines = (recs: FlowRecord[]) => recs.map((r) => formatLine(responseFromRecord(r)));
  const json = (flows: EnrichedFlow[]) => flows.map((f) => JSON.stringify(f));

  /** Demo flows the way the client hands them over: decoded from their frames, bytes attached. */
  function fromTheWire(n: number, mask?: string[]): FlowRecord[] {
    const gen = new LabGenerator(threeTier, 7, T0);
    const pick = mask ? compileFieldMask<HubbleFlow>(mask) : (f: HubbleFlow) => f;
    const out: FlowRecord[] = [];
    for (let t = 1n; out.length < n; t++) {
      for (const r of gen.generate(T0 + t * 60n * S)) {
        const frame = getFlows.responseSerialize(
          responseToWire({ flow: pick(r.flow), node_name: r.nodeName, time: r.flow.time }),
        );
        const d = decodeFrame(frame);
        const rec = recordOf(d)!;
        rec.wire = d.wire;
        if (out.length < n) out.push(rec);
      }
    }
    return out;
  }

  it.each([
    ['whole flows', undefined],
    ['flows under the field mask', DEFAULT_FIELD_MASK],
  ])('gives back %s and their records as they went in', (_name, mask) => {
    const recs = fromTheWire(3_000, mask);
    const model = new ClusterModel();
    loadLab(threeTier, model);
    // Explanations ride along on drops, as the policy engine attaches them.
    const enricher = new Enricher({
      model,
      explain: (f) => ({ verdict: f.verdict === 'DROPPED' ? 'DENIED' : 'ALLOWED', why: [f.id] }),
    });
    const flows = recs.map((r) => enricher.enrich(r));
    expect(flows.some((f) => f.l7)).toBe(true);
    expect(flows.some((f) => f.policy.explanation)).toBe(true);
    const store = new FlowStore({ maxFlows: 10_000 });
    recs.forEach((r, i) => store.add(flows[i]!, r));
    const back = store.query();
    expect(json(back.map((e) => e.flow))).toEqual(json(flows));
    expect(back.map((e) => e.flow)).toEqual(flows);
    expect(lines(back.map((e) => e.record))).toEqual(lines(recs));
    expect(json([...store.entries()].map((e) => e.flow))).toEqual(json(flows));
    // A scan hands out one reused object; what it shows at each call is the flow.
    const seen: string[] = [];
    store.scanSlice(0, Infinity, Infinity, (f) => seen.push(JSON.stringify(f)));
    expect(seen).toEqual(json(flows));
    const drops: string[] = [];
    const from = store.seqAtTime(BigInt(flows[100]!.timeNs));
    store.scanSlice(from, Infinity, Infinity, (f) => {
      if (f.verdict === 'DROPPED') drops.push(f.id);
    });
    expect(drops).toEqual(
      flows
        .slice(100)
        .filter((f) => f.verdict === 'DROPPED')
        .map((f) => f.id),
    );
    const f = flows[1234]!;
    expect(JSON.stringify(store.byId(f.id)?.flow)).toBe(JSON.stringify(f));
  });

  it('reuses record slabs after eviction without changing a record read before', () => {
    const recs = fromTheWire(8_000);
    const enricher = new Enricher({ model: new ClusterModel() });
    const store = new FlowStore({ maxFlows: 1_500 });
    let early: StoredFlow | undefined;
    recs.forEach((r, i) => {
      store.add(enricher.enrich(r), r);
      if (i === 1_000) early = store.query({ limit: 1 })[0];
    });
    // Some 5 MB of records went through 1 MiB slabs, holding 1,500 at a time.
    expect(store.stats).toMatchObject({ flows: 1_500, evicted: 6_500 });
    expect(lines(store.query().map((e) => e.record))).toEqual(lines(recs.slice(6_500)));
    expect(lines([early!.record])).toEqual(lines([recs[1_000]!]));
  });

  it('keeps flows it cannot take apart as they are, and odd fields exactly', () => {
    const store = new FlowStore();
    const odd: [EnrichedFlow, FlowRecord][] = [
      // Not a UUID, and a time text that is not the usual formatting of its time.
      entry(1, { id: 'relay:1:ABC', time: '2026-11-22T10:00:01.000+00:00' }),
      entry(2, { id: 'A1B2C3D4-0000-0000-0000-000000000000' }),
      // A port no column holds: kept whole.
      entry(3, { source: { ip: '10.0.0.3', port: 2 ** 40, kind: 'world', labels: [] } }),
      entry(4, {
        policy: {
          allowedBy: [{ kind: 'NetworkPolicy', namespace: 'data', name: 'allow-api' }],
          deniedBy: [],
        },
        direction: 'EGRESS',
        isReply: true,
        l7: { type: 'REQUEST', dns: { query: 'db.data.svc.', ips: [] } },
      }),
    ];
    // A time past what 64 bits of nanoseconds hold (the year 3000).
    const late = 32_503_680_000n * S;
    const [lf, lr] = entry(5);
    odd.push([
      { ...lf, timeNs: late.toString() },
      { ...lr, timeNs: late },
    ]);
    for (const [f, r] of odd) store.add(f, r);
    expect(json(store.query().map((e) => e.flow))).toEqual(json(odd.map(([f]) => f)));
    expect(store.query().map((e) => e.record)).toEqual(odd.map(([, r]) => r));
    expect(store.byId('relay:1:ABC')?.seq).toBe(1);
    // The flow kept whole is counted at what its objects take.
    const [, two, three] = store.query();
    expect(three!.bytes).toBeGreaterThan(two!.bytes + 800);
    expect(store.byId('A1B2C3D4-0000-0000-0000-000000000000')?.seq).toBe(2);
    expect(store.stats.newestNs).toBe(late.toString());
    // Fields come back in the contract's order, whatever order they were given in.
    const [g, rg] = entry(6, { isReply: false, direction: 'INGRESS' });
    store.add(g, rg);
    const back = store.byId('f6')!.flow;
    expect(back).toEqual(g);
    expect(Object.keys(JSON.parse(JSON.stringify(back)) as object).slice(-2)).toEqual([
      'direction',
      'isReply',
    ]);
    expect(store.query({ sinceNs: T0 + 4n * S }).map((e) => e.seq)).toEqual([4, 5, 6]);
  });

  it('keeps order and content across growing and wrapping around', () => {
    const store = new FlowStore({ maxFlows: 3_000 });
    fill(store, 7_777);
    const ids = store.query().map((e) => e.flow.id);
    expect(ids).toEqual(Array.from({ length: 3_000 }, (_, i) => `f${4_777 + i}`));
    const [want] = entry(7_000);
    expect(store.byId('f7000')?.flow).toEqual(want);
  });

  it('shares one copy of a peer between flows that differ only by port', () => {
    const store = new FlowStore();
    const [a, ra] = entry(10);
    const [b, rb] = entry(10, { source: { ...a.source, port: 40_001 } });
    store.add(a, ra);
    store.add(b, rb);
    const [x, y] = store.query().map((e) => e.flow);
    expect(x!.source.port).toBeUndefined();
    expect(y!.source.port).toBe(40_001);
    expect(x!.source.labels).toBe(y!.source.labels);
    // Endless variants of one address start the list over instead of growing it.
    for (let i = 0; i < 200; i++) {
      store.add(...entry(10, { source: { ...a.source, labels: [`v=${i}`] } }));
    }
    expect(store.query().at(-1)!.flow.source.labels).toEqual(['v=199']);
  });
});
