import { describe, expect, it } from 'vitest';
import type { EnrichedFlow, Peer } from '../enrich/types.ts';
import { compileFilter, parseFilter, requiredNamespaces } from '../shared/filter.ts';
import { ViewIndex } from './view-index.ts';

interface V {
  key: string;
  match: (f: EnrichedFlow) => boolean;
}

const peer = (namespace: string | undefined, port: number): Peer => ({
  ip: '10.0.0.1',
  port,
  kind: namespace ? 'pod' : 'world',
  labels: [],
  ...(namespace ? { namespace, pod: `${namespace}-pod` } : {}),
});

const flow = (src: string | undefined, dst: string | undefined, verdict = 'FORWARDED') =>
  ({
    id: `${src}-${dst}`,
    time: '2026-12-01T00:00:00Z',
    timeNs: '1',
    node: 'n',
    verdict,
    protocol: 'TCP',
    source: peer(src, 40000),
    destination: peer(dst, 5432),
    policy: { allowedBy: [], deniedBy: [] },
  }) as EnrichedFlow;

const FILTERS = [
  '',
  'verdict=DROPPED',
  'namespace=web',
  'namespace=web namespace=api',
  'namespace=api verdict=DROPPED',
  'from-namespace=web',
  'to-namespace=data',
  'from-namespace=web to-namespace=data',
  '!namespace=web',
  'to-port=5432',
  'namespace=data from-namespace=api',
];

describe('requiredNamespaces', () => {
  it.each([
    ['', undefined],
    ['namespace=web namespace=api', ['web', 'api']],
    ['from-namespace=web to-namespace=data', ['web']],
    ['to-namespace=data verdict=DROPPED', ['data']],
    ['!namespace=web', undefined],
    ['pod=web/frontend', undefined],
  ])('%j → %j', (text, want) => {
    expect(requiredNamespaces(parseFilter(text))).toEqual(want);
  });
});

describe('ViewIndex', () => {
  const index = new ViewIndex<V>();
  const views = FILTERS.map((f) => {
    const terms = parseFilter(f);
    const v = { key: f, match: compileFilter(terms) };
    index.add(v, requiredNamespaces(terms));
    return v;
  });
  const flows = [
    flow('web', 'api'),
    flow('web', 'web'),
    flow('api', 'data', 'DROPPED'),
    flow('web', 'data'),
    flow(undefined, 'web'),
    flow('cache', undefined),
    flow(undefined, undefined),
  ];

  it('offers every view that matches a flow, each once, and skips views pinned elsewhere', () => {
    for (const f of flows) {
      const offered: V[] = [];
      index.forCandidates(f.source.namespace, f.destination.namespace, (v) => offered.push(v));
      expect(new Set(offered).size).toBe(offered.length);
      const matching = views.filter((v) => v.match(f));
      for (const v of matching) expect(offered, `${f.id} ${v.key}`).toContain(v);
    }
    const offered: string[] = [];
    index.forCandidates('cache', undefined, (v) => offered.push(v.key));
    expect(offered.sort()).toEqual(['', '!namespace=web', 'to-port=5432', 'verdict=DROPPED']);
  });

  it('forgets a deleted view everywhere, and finds views by key', () => {
    const i = new ViewIndex<V>();
    const v = { key: 'namespace=web', match: () => true };
    i.add(v, ['web', 'web']);
    expect(i.get('namespace=web')).toBe(v);
    i.delete(v);
    const offered: V[] = [];
    i.forCandidates('web', 'web', (x) => offered.push(x));
    expect(offered).toEqual([]);
    expect(i.size).toBe(0);
  });

  it('names the namespaces every view is pinned to, only while no view takes any', () => {
    const i = new ViewIndex<V>();
    const web = { key: 'namespace=web', match: () => true };
    const both = { key: 'from-namespace=api to-namespace=data', match: () => true };
    const any = { key: 'verdict=DROPPED', match: () => true };
    expect(i.pinnedNamespaces()).toEqual([]);
    i.add(web, ['web']);
    i.add(both, ['api', 'data']);
    expect(i.pinnedNamespaces()?.sort()).toEqual(['api', 'data', 'web']);
    i.add(any);
    expect(i.pinnedNamespaces()).toBeUndefined();
    i.delete(any);
    i.delete(both);
    expect(i.pinnedNamespaces()).toEqual(['web']);
  });
});
