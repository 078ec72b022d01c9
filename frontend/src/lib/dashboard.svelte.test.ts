import { describe, expect, it } from 'vitest';
import type { EnrichedFlow } from '../../../backend/src/enrich/types.ts';
import { Dashboard } from './dashboard.svelte.ts';

const flow = (id: string, verdict = 'FORWARDED'): EnrichedFlow =>
  ({
    id,
    time: '',
    timeNs: '1',
    node: 'n',
    verdict,
    protocol: 'TCP',
    source: { ip: '1', kind: 'pod', namespace: 'a', pod: 'p', labels: [] },
    destination: { ip: '2', port: 80, kind: 'pod', namespace: 'b', pod: 'q', labels: [] },
    policy: { allowedBy: [], deniedBy: [] },
  }) as EnrichedFlow;

const node = (id: string) => ({
  id,
  kind: 'workload' as const,
  label: id,
  flows: 1,
  dropped: 0,
  lastSeenMs: 0,
});
const none = { added: [], changed: [], removed: [] };

describe('Dashboard', () => {
  it('applies a snapshot, then deltas, in order', () => {
    const b = new Dashboard();
    b.snapshot([{ seq: 1, flow: flow('f1') }], { nodes: [node('n1')], edges: [] });
    b.delta([{ seq: 2, flow: flow('f2', 'DROPPED') }], {
      nodes: { added: [node('n2')], changed: [], removed: ['n1'] },
      edges: none,
    });
    expect(b.rows.map((f) => f.id)).toEqual(['f1', 'f2']);
    expect([...b.nodes.keys()]).toEqual(['n2']);
    expect(b.lastSeq).toBe(2);
    expect(b.drops).toHaveLength(1);
  });

  it('replaces the map when a delta carries a whole one', () => {
    const b = new Dashboard();
    b.snapshot([], { nodes: [node('old')], edges: [] });
    b.delta([], { nodes: none, edges: none }, { nodes: [node('new')], edges: [] });
    expect([...b.nodes.keys()]).toEqual(['new']);
  });

  it('keeps when the status came, and the notice that still applies', () => {
    const b = new Dashboard();
    b.setStatus({ mode: 'demo' }, 1234);
    expect(b.statusAt).toBe(1234);
    b.noticed({ type: 'notice', level: 'warn', code: 'sampling', message: 'm', sampleEvery: 3 }, 5);
    expect(b.sampleEvery).toBe(3);
    expect(b.notice).toMatchObject({ code: 'sampling', at: 5 });
    b.noticed({ type: 'notice', level: 'info', code: 'sampling-ended', message: 'm' });
    expect(b.sampleEvery).toBe(1);
    expect(b.notice).toBeUndefined();
  });
});
