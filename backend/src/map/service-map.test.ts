import { describe, expect, it } from 'vitest';
import type { EnrichedFlow, Peer } from '../enrich/types.ts';
import { ServiceMap } from './service-map.ts';

const T0 = 1_795_341_600_000; // ms

function pod(ns: string, name: string, workload: string, service?: string, port?: number): Peer {
  const p: Peer = {
    ip: `10.0.${ns.length}.${name.length}`,
    kind: 'pod',
    namespace: ns,
    pod: name,
    workload: { kind: 'Deployment', name: workload },
    labels: [`app=${workload}`],
  };
  if (service) p.service = service;
  if (port !== undefined) p.port = port;
  return p;
}

let n = 0;
function flow(
  source: Peer,
  destination: Peer,
  over: Partial<EnrichedFlow> = {},
  atMs = T0,
): EnrichedFlow {
  n += 1;
  return {
    id: `f${n}`,
    time: new Date(atMs).toISOString(),
    timeNs: (BigInt(atMs) * 1_000_000n).toString(),
    node: 'kind-worker',
    verdict: 'FORWARDED',
    protocol: 'TCP',
    source,
    destination,
    policy: { allowedBy: [], deniedBy: [] },
    ...over,
  };
}

const web1 = pod('web', 'frontend-1', 'frontend', 'web/frontend', 41000);
const web2 = pod('web', 'frontend-2', 'frontend', 'web/frontend', 41001);
const api = pod('api', 'backend-1', 'backend-api', 'api/backend-api', 8080);

describe('ServiceMap grouping', () => {
  it.each([
    ['workload', ['workload:api/Deployment/backend-api', 'workload:web/Deployment/frontend'], 1],
    ['service', ['service:api/backend-api', 'service:web/frontend'], 1],
    ['pod', ['pod:api/backend-1', 'pod:web/frontend-1', 'pod:web/frontend-2'], 2],
  ] as const)('groups by %s', (grouping, nodes, edges) => {
    const m = new ServiceMap({ grouping });
    m.add(flow(web1, api), T0);
    m.add(flow(web2, api), T0);
    const s = m.snapshot();
    expect(s.nodes.map((x) => x.id).sort()).toEqual(nodes);
    expect(s.edges).toHaveLength(edges);
  });

  it('groups world by DNS name, then CIDR, then address', () => {
    const m = new ServiceMap();
    const world = (names?: string[], labels: string[] = []): Peer => ({
      ip: '140.82.112.3',
      port: 443,
      kind: 'world',
      labels,
      ...(names ? { names } : {}),
    });
    m.add(flow(web1, world(['api.github.com'])), T0);
    m.add(flow(web1, world(undefined, ['cidr:140.82.112.0/20'])), T0);
    m.add(flow(web1, world()), T0);
    expect(
      m
        .snapshot()
        .nodes.filter((x) => x.kind === 'world')
        .map((x) => x.label)
        .sort(),
    ).toEqual(['140.82.112.0/20', '140.82.112.3', 'api.github.com']);
  });
});

describe('ServiceMap edges', () => {
  it('folds replies into the request edge, on the server port', () => {
    const m = new ServiceMap();
    m.add(flow(web1, api), T0);
    m.add(flow(api, web1, { isReply: true }), T0);
    const { edges } = m.snapshot();
    expect(edges).toHaveLength(1);
    expect(edges[0]).toMatchObject({
      from: 'workload:web/Deployment/frontend',
      to: 'workload:api/Deployment/backend-api',
      port: 8080,
      forwarded: 2,
    });
  });

  it('takes keys computed once by another map of the same grouping, with the same result', () => {
    const flows = [flow(web1, api), flow(api, web1, { isReply: true }), flow(web2, api)];
    const alone = new ServiceMap();
    const shared = new ServiceMap();
    const other = new ServiceMap({ namespaces: ['web'] });
    for (const f of flows) {
      alone.add(f, T0);
      const keys = other.keysOf(f);
      other.add(f, T0, keys);
      shared.add(f, T0, keys);
    }
    expect(shared.snapshot()).toEqual(alone.snapshot());
    expect(other.keysOf(flows[1]!)).toEqual({
      from: 'workload:web/Deployment/frontend',
      to: 'workload:api/Deployment/backend-api',
      id: 'workload:web/Deployment/frontend→workload:api/Deployment/backend-api:8080/TCP',
    });
  });

  it('counts drops by reason and keeps the last verdict', () => {
    const m = new ServiceMap();
    m.add(flow(web1, api), T0);
    m.add(flow(web1, api, { verdict: 'DROPPED', dropReason: 'POLICY_DENIED' }), T0 + 1);
    const [e] = m.snapshot().edges;
    expect(e).toMatchObject({
      forwarded: 1,
      dropped: 1,
      dropReasons: { POLICY_DENIED: 1 },
      lastVerdict: 'DROPPED',
    });
  });

  it('counts history folded in behind newer flows without taking their last verdict', () => {
    const drop = { verdict: 'DROPPED', dropReason: 'POLICY_DENIED' } as const;
    const m = new ServiceMap();
    m.add(flow(web1, api, drop), T0 + 5_000); // live
    m.add(flow(web1, api), T0, undefined, 1); // older, folded in after it
    const [e] = m.snapshot().edges;
    expect(e).toMatchObject({ forwarded: 1, dropped: 1, lastVerdict: 'DROPPED' });
    expect(e!.lastSeenMs).toBe(T0 + 5_000);
    expect(Object.keys(e!)).not.toContain('verdictAge');
    // Among flows of one age the newest decides; an older age never overrides a newer one.
    const past = new ServiceMap();
    past.add(flow(web1, api, drop), T0, undefined, 1);
    past.add(flow(web1, api), T0, undefined, 1);
    past.add(flow(web1, api, drop), T0, undefined, 2);
    expect(past.snapshot().edges[0]).toMatchObject({ lastVerdict: 'FORWARDED', dropped: 2 });
    past.add(flow(web1, api, drop), T0 + 1);
    expect(past.snapshot().edges[0]).toMatchObject({ lastVerdict: 'DROPPED' });
  });

  it('summarises L7 with bounded tallies', () => {
    const m = new ServiceMap();
    for (let i = 0; i < 30; i++) {
      m.add(
        flow(web1, api, {
          l7: { type: 'REQUEST', http: { method: `M${i}`, url: '/', path: '/', code: 200 + i } },
        }),
        T0,
      );
    }
    const l7 = m.snapshot().edges[0]!.l7!;
    expect(Object.keys(l7.httpMethods)).toHaveLength(21); // 20 + (other)
    expect(l7.httpMethods['(other)']).toBe(10);
    expect(l7.httpStatus).toEqual({ '2xx': 30 });
  });

  it('reports the rate over the sliding window', () => {
    const m = new ServiceMap({ rateWindowMs: 10_000 });
    for (let i = 0; i < 20; i++) m.add(flow(web1, api), T0 + i * 100);
    m.flush(T0 + 2000);
    expect(m.snapshot().edges[0]!.rate).toBe(2);
    m.flush(T0 + 30_000);
    expect(m.snapshot().edges[0]!.rate).toBe(0);
  });
});

describe('ServiceMap scope', () => {
  it('keeps flows with either side in the chosen namespaces', () => {
    const m = new ServiceMap({ namespaces: ['api'] });
    m.add(flow(web1, api), T0);
    m.add(flow(web1, web2), T0);
    expect(m.snapshot().edges).toHaveLength(1);
    expect(
      m
        .snapshot()
        .nodes.map((x) => x.namespace)
        .sort(),
    ).toEqual(['api', 'web']);
  });
});

describe('ServiceMap deltas', () => {
  it('sends added, then only what changed, then nothing', () => {
    const m = new ServiceMap();
    m.add(flow(web1, api), T0);
    const first = m.flush(T0);
    expect(first.nodes.added).toHaveLength(2);
    expect(first.edges.added).toHaveLength(1);
    expect(first.edges.changed).toEqual([]);

    m.add(flow(web1, api), T0 + 100);
    const second = m.flush(T0 + 100);
    expect(second.nodes.added).toEqual([]);
    expect(second.edges.changed.map((e) => e.forwarded)).toEqual([2]);

    const third = m.flush(T0 + 200);
    expect(third.edges.changed).toEqual([]);
    expect(third.nodes.changed).toEqual([]);
  });

  it('removes idle edges and nodes once, and never reports what came and went between flushes', () => {
    const m = new ServiceMap({ idleMs: 60_000, rateWindowMs: 10_000 });
    m.add(flow(web1, api), T0);
    m.flush(T0);
    const gone = m.flush(T0 + 61_000);
    expect(gone.edges.removed).toHaveLength(1);
    expect(gone.nodes.removed.sort()).toEqual([
      'workload:api/Deployment/backend-api',
      'workload:web/Deployment/frontend',
    ]);
    expect(m.size).toEqual({ nodes: 0, edges: 0 });
    expect(m.flush(T0 + 62_000).edges.removed).toEqual([]);

    m.add(flow(web1, api), T0 + 70_000);
    const flicker = m.flush(T0 + 200_000);
    expect(flicker.edges).toEqual({ added: [], changed: [], removed: [] });
  });
});
