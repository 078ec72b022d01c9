import { describe, expect, it } from 'vitest';
import type { EnrichedFlow } from '../enrich/types.ts';
import type { FlowRecord } from '../hubble/types.ts';
import { FlowStore } from './flow-store.ts';

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
  });

  it('answers a time window, for time travel', () => {
    const store = new FlowStore();
    fill(store, 100);
    const w = store.query({ sinceNs: T0 + 10n * S, untilNs: T0 + 20n * S });
    expect(w.map((e) => e.flow.id)).toEqual(Array.from({ length: 10 }, (_, i) => `f${10 + i}`));
    expect([...store.window(T0 + 98n * S)].map((e) => e.flow.id)).toEqual(['f98', 'f99']);
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
});
