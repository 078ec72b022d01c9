import { describe, expect, it } from 'vitest';
import { cellText, COLUMNS, nextSort } from './flow-columns.ts';
import { FlowView, viewRows } from './flow-view.ts';
import { flowRow } from './test-flows.ts';

const flow = flowRow;

describe('flow table columns', () => {
  it("shows Hubble's columns plus service, workload, policy and L7 as text", () => {
    const f = flow(1, {
      type: 'L7',
      direction: 'INGRESS',
      l7: {
        type: 'REQUEST',
        http: { method: 'GET', url: 'http://x/<b>', path: '/<b>', code: 200 },
      },
    });
    const row = Object.fromEntries(COLUMNS.map((c) => [c, cellText(f, c)]));
    expect(row).toMatchObject({
      time: '10:00:01.000',
      source: 'web/frontend-1',
      destination: 'api/backend-0',
      port: 'TCP/8081',
      type: 'L7 INGRESS',
      verdict: 'FORWARDED',
      service: 'api/backend',
      workload: 'Deployment/frontend → ·',
      policy: '+api/allow',
      l7: 'GET http://x/<b> 200',
      node: 'kind-worker',
    });
  });

  it('names the isolating policies of a drop the dataplane did not attribute', () => {
    const f = flow(2, {
      verdict: 'DROPPED',
      dropReason: 'POLICY_DENIED',
      policy: {
        allowedBy: [],
        deniedBy: [],
        explanation: { ingress: { policies: ['api/default-deny'] }, egress: { policies: [] } },
      },
    });
    expect(cellText(f, 'policy')).toBe('-api/default-deny');
    expect(cellText(f, 'verdict')).toBe('DROPPED (POLICY_DENIED)');
  });

  it('cycles a header through ascending, descending and unsorted', () => {
    const a = nextSort(undefined, 'port');
    expect(a).toEqual({ column: 'port', dir: 'ascending' });
    const d = nextSort(a, 'port');
    expect(d).toEqual({ column: 'port', dir: 'descending' });
    expect(nextSort(d, 'port')).toBeUndefined();
    expect(nextSort(d, 'time')).toEqual({ column: 'time', dir: 'ascending' });
  });

  it('filters by column substring and sorts, newest first by default', () => {
    const rows = [
      flow(1),
      flow(2, { verdict: 'DROPPED' }),
      flow(3),
      flow(4, { verdict: 'DROPPED' }),
    ];
    expect(viewRows(rows, {}, undefined).map((f) => f.id)).toEqual(['f4', 'f3', 'f2', 'f1']);
    expect(viewRows(rows, { verdict: 'drop' }, undefined).map((f) => f.id)).toEqual(['f4', 'f2']);
    expect(viewRows(rows, { verdict: ' ', source: '-3' }, undefined).map((f) => f.id)).toEqual([
      'f3',
    ]);
    const byPort = viewRows(rows, {}, { column: 'port', dir: 'ascending' });
    expect(byPort.map((f) => f.id)).toEqual(['f1', 'f2', 'f3', 'f4']);
    const byVerdict = viewRows(rows, {}, { column: 'verdict', dir: 'ascending' });
    // Ties keep newest first.
    expect(byVerdict.map((f) => f.id)).toEqual(['f4', 'f2', 'f3', 'f1']);
    const byTime = viewRows(rows, {}, { column: 'time', dir: 'descending' });
    expect(byTime.map((f) => f.id)).toEqual(['f4', 'f3', 'f2', 'f1']);
  });

  it('keeps a sorted view current as rows arrive and old ones are trimmed', () => {
    const rows = [1, 2, 3, 4].map((i) =>
      flow(i, { destination: { ...flow(i).destination, port: [9, 3, 7, 3][i - 1] } }),
    );
    const view = new FlowView();
    const sort = { column: 'port', dir: 'ascending' } as const;
    const ids = () => view.build(rows, {}, sort).map((f) => f.id);
    expect(ids()).toEqual(['f4', 'f2', 'f3', 'f1']);
    rows.push(
      flow(5, { destination: { ...flow(5).destination, port: 3 } }),
      flow(6, { destination: { ...flow(6).destination, port: 8 } }),
    );
    expect(ids()).toEqual(['f5', 'f4', 'f2', 'f3', 'f6', 'f1']);
    rows.splice(0, 2); // the store trims its oldest rows
    rows.push(flow(7, { destination: { ...flow(7).destination, port: 1 } }));
    expect(ids()).toEqual(['f7', 'f5', 'f4', 'f3', 'f6']);
    // The same as building from scratch.
    expect(ids()).toEqual(viewRows(rows, {}, sort).map((f) => f.id));
    // A filter starts over, then follows new rows the same way.
    expect(view.build(rows, { port: '/3' }, sort).map((f) => f.id)).toEqual(['f5', 'f4']);
    rows.push(flow(8, { destination: { ...flow(8).destination, port: 3 } }));
    expect(view.build(rows, { port: '/3' }, sort).map((f) => f.id)).toEqual(['f8', 'f5', 'f4']);
    // A new array (a fresh snapshot) rebuilds.
    expect(view.build([flow(9)], {}, sort).map((f) => f.id)).toEqual(['f9']);
  });
});
