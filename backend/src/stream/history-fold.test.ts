import { describe, expect, it } from 'vitest';
import type { EnrichedFlow } from '../enrich/types.ts';
import type { FlowRecord } from '../hubble/types.ts';
import { ServiceMap, type Grouping } from '../map/service-map.ts';
import {
  compileFilter,
  filterNamespaces,
  parseFilter,
  requiredNamespaces,
} from '../shared/filter.ts';
import { FlowStore, type FlowQuery } from '../store/flow-store.ts';
import { HistoryFolder, type FoldRequest } from './history-fold.ts';

const S = 1_000_000_000n;
const T0 = 1_795_341_600n * S;
const NOW_MS = Number(T0 / 1_000_000n) + 3_600_000;
const NAMESPACES = ['web', 'api', 'data', 'cache'];

function entry(i: number): [EnrichedFlow, FlowRecord] {
  const timeNs = T0 + BigInt(i) * S;
  const ns = NAMESPACES[i % 4]!;
  const to = NAMESPACES[(i >> 2) % 4]!;
  const flow: EnrichedFlow = {
    id: `f${i}`,
    time: '',
    timeNs: timeNs.toString(),
    node: 'n',
    verdict: i % 5 === 0 ? 'DROPPED' : 'FORWARDED',
    protocol: i % 3 === 0 ? 'UDP' : 'TCP',
    source: {
      ip: `10.0.${i % 4}.${i % 7}`,
      kind: 'pod',
      namespace: ns,
      pod: `${ns}-${i % 7}`,
      workload: { kind: 'Deployment', name: ns },
      labels: [`app=${ns}`],
    },
    destination: {
      ip: `10.1.${(i >> 2) % 4}.1`,
      kind: 'pod',
      namespace: to,
      pod: `${to}-0`,
      port: 8000 + (i % 3),
      labels: [`app=${to}`],
    },
    policy: { allowedBy: [], deniedBy: [] },
  };
  if (flow.verdict === 'DROPPED') flow.dropReason = 'POLICY_DENIED';
  return [flow, { flow: { uuid: flow.id }, nodeName: 'n', timeNs }];
}

function filled(n: number, maxFlows = 100_000): FlowStore {
  const store = new FlowStore({ maxFlows });
  for (let i = 0; i < n; i++) store.add(...entry(i));
  return store;
}

interface Spec {
  filter: string;
  grouping?: Grouping;
}

function request(spec: Spec, over: Partial<FoldRequest> = {}) {
  const terms = parseFilter(spec.filter);
  const map = new ServiceMap({
    grouping: spec.grouping ?? 'workload',
    namespaces: filterNamespaces(terms),
  });
  let ended = 0;
  const req: FoldRequest = {
    map,
    match: compileFilter(terms),
    namespaces: requiredNamespaces(terms),
    atMs: NOW_MS,
    done: () => (ended += 1),
    ...over,
  };
  return { req, map, ended: () => ended };
}

/** The map the same filter makes folding the same flows at once: what a fold must equal. */
function atOnce(spec: Spec, flows: Iterable<EnrichedFlow>, at?: (f: EnrichedFlow) => number) {
  const { req, map } = request(spec);
  for (const f of flows) {
    if (req.match(f)) map.add(f, at ? at(f) : NOW_MS);
  }
  return content(map);
}

/** The flows history holds (in a window), oldest first. */
function held(store: FlowStore, q: FlowQuery = {}): EnrichedFlow[] {
  return [...store.entries(q)].map((e) => e.flow);
}

/** A map's content, whatever order its nodes and edges were first seen in. */
function content(map: ServiceMap) {
  const s = map.snapshot();
  const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
  return { nodes: s.nodes.sort(byId), edges: s.edges.sort(byId) };
}

const turn = () => new Promise<void>((r) => setImmediate(r));
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 100_000 && !cond(); i++) await turn();
  expect(cond()).toBe(true);
}

describe('HistoryFolder', () => {
  const specs: Spec[] = [
    { filter: '' },
    { filter: 'namespace=web' },
    { filter: 'from-namespace=api verdict=DROPPED' },
    { filter: 'protocol=udp', grouping: 'pod' },
    { filter: 'to-namespace=data to-port=8001', grouping: 'service' },
    { filter: 'namespace=nowhere' },
  ];

  it('folds many filters in one shared pass into the maps folding at once would make', async () => {
    const store = filled(5_000);
    // No time per slice: every slice is one look at the clock's worth of flows, many turns.
    const folder = new HistoryFolder(store, { sliceMs: 0 });
    const folds = specs.map((s) => request(s));
    for (const f of folds) folder.fold(f.req);
    expect(folds.map((f) => f.ended())).toEqual(specs.map(() => 0)); // never in the same turn
    await until(() => folds.every((f) => f.ended() === 1));
    for (const [i, s] of specs.entries()) {
      expect(content(folds[i]!.map), s.filter).toEqual(atOnce(s, held(store)));
    }
    expect(folder.stats).toMatchObject({ completed: specs.length, laps: 0, pending: 0 });
    expect(folder.stats.slices).toBeGreaterThan(5);
  });

  it('folds up to the newest flow stored when asked, leaving later ones to the live view', async () => {
    const store = filled(2_000);
    const folder = new HistoryFolder(store, { sliceMs: 0 });
    const fold = request({ filter: '' });
    folder.fold(fold.req);
    for (let i = 2_000; i < 2_500; i++) store.add(...entry(i));
    await until(() => fold.ended() === 1);
    const stored = held(store);
    expect(content(fold.map)).toEqual(atOnce({ filter: '' }, stored.slice(0, 2_000)));
  });

  it('folds a past window at each flow time, ignoring flows that arrive after it was asked', async () => {
    const store = filled(1_000);
    const folder = new HistoryFolder(store, { sliceMs: 0 });
    const sinceNs = T0 + 100n * S;
    const untilNs = T0 + 900n * S;
    const spec = { filter: 'namespace=api' };
    const fold = request(spec, { sinceNs, untilNs, atMs: undefined });
    folder.fold(fold.req);
    for (let i = 1_000; i < 1_100; i++) store.add(...entry(i));
    await until(() => fold.ended() === 1);
    const at = (f: EnrichedFlow) => Number(BigInt(f.timeNs) / 1_000_000n);
    expect(content(fold.map)).toEqual(atOnce(spec, held(store, { sinceNs, untilNs }), at));
  });

  it('never ends a cancelled fold, and the others in its pass still do', async () => {
    const store = filled(3_000);
    const folder = new HistoryFolder(store, { sliceMs: 0 });
    const a = request({ filter: 'namespace=web' });
    const b = request({ filter: 'namespace=data' });
    const handle = folder.fold(a.req);
    folder.fold(b.req);
    await turn();
    handle.cancel();
    handle.cancel();
    await until(() => b.ended() === 1);
    await turn();
    expect(a.ended()).toBe(0);
    expect(folder.stats).toMatchObject({ completed: 1, cancelled: 1, pending: 0 });
  });

  it('starts from the oldest flow still held when history wraps before a fold gets to it', async () => {
    const store = filled(1_000, 1_000);
    const folder = new HistoryFolder(store, { sliceMs: 0 });
    const fold = request({ filter: '' });
    folder.fold(fold.req);
    for (let i = 1_000; i < 1_600; i++) store.add(...entry(i)); // the first 600 are evicted
    await until(() => fold.ended() === 1);
    const kept = held(store).filter((f) => Number(f.id.slice(1)) < 1_000);
    expect(kept).toHaveLength(400);
    expect(content(fold.map)).toEqual(atOnce({ filter: '' }, kept));
  });

  it('lets a fold join the scan under way, folding what it passed on the next lap', async () => {
    const store = filled(20_000);
    const folder = new HistoryFolder(store, { sliceMs: 0 });
    const first = request({ filter: '' });
    folder.fold(first.req);
    await turn();
    await turn();
    // Joins after two slices of 4,096 flows; the same filter and grouping, so the maps must be equal,
    // last verdicts included, although its older flows come after the newer ones.
    const second = request({ filter: '' });
    const third = request({ filter: 'namespace=cache', grouping: 'pod' });
    folder.fold(second.req);
    folder.fold(third.req);
    expect(first.ended()).toBe(0);
    await until(() => first.ended() + second.ended() + third.ended() === 3);
    expect(content(second.map)).toEqual(content(first.map));
    expect(content(first.map)).toEqual(atOnce({ filter: '' }, held(store)));
    const spec = { filter: 'namespace=cache', grouping: 'pod' } as const;
    expect(content(third.map)).toEqual(atOnce(spec, held(store)));
    expect(folder.stats.laps).toBe(1);
  });

  it('rejects bad slice times with exact messages', () => {
    expect(() => new HistoryFolder(filled(1), { sliceMs: -1 })).toThrow(
      'sliceMs must be >= 0, got -1',
    );
    expect(() => new HistoryFolder(filled(1), { sliceMs: 10, maxSliceMs: 5 })).toThrow(
      'maxSliceMs must be >= sliceMs, got 5',
    );
  });
});
